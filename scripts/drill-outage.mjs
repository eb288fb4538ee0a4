// The outage drill (issue 24): the local stack with its simulated Twitch at a
// steady event rate over authorized and unauthorized streamers, faults made on
// purpose, then the ledger (every event the simulator generated) held against
// what the stack stored and the gaps it shows. scripts/drill-outage.sh runs it:
//   node scripts/drill-outage.mjs <local binary> [--short] [--outage-seconds N]
//        [--minutes-of-twitch-time M] [--sweep-secs S] [--gap-pass-secs P]
//        [--sim-rate-limit POINTS_PER_MINUTE] [--no-kill]
// Our app's own types (user.authorization.*) are read under the client id
// (GET /admin/streamers' `app`), where both the simulator and the stack keep them.
// Per EventSub type it prints: generated, delivered live, stored, recovered
// exact / approximate, inside a visible gap, and silently lost (neither stored
// nor inside a gap of its type), which must be 0. "No toy drill": a gap's
// bounds must lie within 5 s of the fault's, and an outage shorter than the
// simulator's retry window must leave no gap at all. Any failure is a FAIL
// line and exit status 1.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [bin, ...rest] = process.argv.slice(2);
if (!bin) throw new Error('usage: node scripts/drill-outage.mjs <local binary> [options]');
const flag = (name) => rest.includes(name);
const option = (name, fallback) => {
  const i = rest.indexOf(name);
  return i >= 0 ? Number(rest[i + 1]) : fallback;
};
const short = flag('--short');
// The simulator's compression: Twitch time ÷ 100 = wall clock (docs/twitch.md).
const COMPRESSION = 100;
const minutes = option('--minutes-of-twitch-time', short ? 20 : 30);
const outageSeconds = option('--outage-seconds', (minutes * 60) / COMPRESSION);
const SIM_RATE = short ? 20 : 30;
// The manager's 600 s sweep in AWS, compressed like the simulator's retries,
// so a 30-minute outage spans three sweeps as it would there.
const SWEEP_SECS = option('--sweep-secs', 600 / COMPRESSION);
// The one-minute pass over the streamers with an open gap, compressed the same way.
const GAP_PASS_SECS = option('--gap-pass-secs', 60 / COMPRESSION);
// Twitch's 800 Helix points a minute, compressed too: the manager's schedule
// runs 100x as often, and its calls must not wait out a budget made for the
// uncompressed one (they did: gaps ended a minute late in the long drill).
const RATE_LIMIT = option('--sim-rate-limit', 800 * COMPRESSION);
const BOUND_MS = 5000;
// A few streamers with the broadcaster's grant (every type), a few without
// (the four types that need nobody's permission).
const AUTHORIZED = short ? ['555'] : ['555', '556'];
const UNAUTHORIZED = short ? ['777', '1337'] : ['777', '1337', '42'];
const STREAMERS = [...AUTHORIZED, ...UNAUTHORIZED];
const ADMIN_TOKEN = `drill-${process.pid}-${Date.now()}`;
const SIM = { 'x-sim-control': '1' };
const failures = [];
const fail = (text) => { failures.push(text); console.log(`FAIL ${text}`); };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const iso = (ms) => new Date(ms).toISOString();

/** The local stack as a child process on `port` (0: any), resolved once it says where it listens. */
function startStack(db, port) {
  const child = spawn(bin, ['serve', '--port', String(port), '--db', db, '--sim-rate', String(SIM_RATE),
    '--sweep-secs', String(SWEEP_SECS), '--gap-pass-secs', String(GAP_PASS_SECS),
    '--sim-rate-limit', String(RATE_LIMIT), '--poll-secs', '0'],
  { env: { ...process.env, ADMIN_TOKEN, RUST_LOG: process.env.RUST_LOG ?? 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the stack did not start:\n${log}`)), 15_000);
    const read = (chunk) => {
      log += chunk;
      const m = log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) { clearTimeout(timer); resolve({ child, base: `http://127.0.0.1:${m[1]}`, port: Number(m[1]) }); }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`the stack exited (${code}):\n${log}`)); });
  });
}

/** Polls `check` every 250 ms until it returns something truthy; throws after `timeoutMs`. */
async function until(what, check, timeoutMs) {
  for (const deadline = Date.now() + timeoutMs; ;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs / 1000} s for ${what}`);
    await sleep(250);
  }
}

/** The drill's HTTP calls against one running stack. */
function client(base) {
  const json = async (path, init = {}) => {
    const res = await fetch(`${base}${path}`, init);
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  return {
    json,
    track: (id) => json('/admin/streamers', {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ streamer: id }),
    }),
    outage: (seconds) => json('/sim/outage', {
      method: 'POST', headers: { ...SIM, 'content-type': 'application/json' }, body: JSON.stringify({ seconds }),
    }),
    ledger: async (id) => (await json(`/sim/ledger?broadcaster=${id}`, { headers: SIM })).data,
    /** Our app's own coverage: its client id (the pseudo-streamer of its gaps) and its gaps. */
    app: async () => (await json('/admin/streamers', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).app,
    gaps: async (id, fromMs) => (await json(`/api/streamers/${id}/coverage?from=${fromMs}`)).gaps,
    /** Every stored event of the streamer, page by page (newest first). */
    async events(id) {
      const all = [];
      for (let cursor = null; ;) {
        const page = await json(`/api/streamers/${id}/events?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
        all.push(...page.events);
        cursor = page.next;
        if (!cursor || page.events.length === 0) return all;
      }
    },
    /** The broadcaster's channel login through the simulated Twitch (consent: allow). */
    async login(id) {
      const first = await fetch(`${base}/auth/login?channel=1&return_to=/`, { redirect: 'manual' });
      const cookie = first.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      const consent = await fetch(`${first.headers.get('location')}&sim_user=${id}&sim_decision=allow`, { redirect: 'manual' });
      const done = await fetch(consent.headers.get('location'), { redirect: 'manual', headers: { cookie } });
      if (done.status !== 302 || !/granted=1/.test(done.headers.get('location') ?? '')) {
        throw new Error(`channel login of ${id}: ${done.status} ${await done.text()}`);
      }
    },
  };
}

/** True once every streamer has a delivered ledger entry after `sinceMs`. */
async function delivering(api, sinceMs) {
  for (const id of STREAMERS) {
    const ledger = await api.ledger(id);
    if (!ledger.some((e) => e.delivered && Date.parse(e.happened_at) > sinceMs)) return false;
  }
  return true;
}

/** Every gap of every streamer and of our app since `fromMs`, each with its streamer (the app's: its client id). */
async function allGaps(api, fromMs) {
  const out = [];
  for (const id of STREAMERS) for (const g of await api.gaps(id, fromMs)) out.push({ ...g, streamer: id });
  const app = await api.app();
  for (const g of app.gaps) if (g.to_ms === null || g.to_ms >= fromMs) out.push({ ...g, streamer: app.client_id });
  return out;
}

/** The streamers' ids and our app's client id: whose ledgers the tables read. */
async function owners(api) {
  return [...STREAMERS, (await api.app()).client_id];
}

/** The fields a recovered row and a ledger entry both carry that name the happening. */
const IDENTITY = ['user_id', 'id', 'reward'];

/**
 * Whether recovered row `e` is ledger `entry`'s happening: the same type,
 * the same identifying fields where both have them, and the ledger's time
 * (to the second, Helix's precision) when the row's time is exact, else a
 * time inside a gap of that type that also holds the row's time.
 */
function sameHappening(entry, e, gaps, streamer) {
  if (entry.type !== e.type) return false;
  for (const k of IDENTITY) {
    const a = entry.event?.[k];
    const b = e.event?.[k];
    if (a !== undefined && b !== undefined && JSON.stringify(a) !== JSON.stringify(b)) return false;
  }
  const at = Date.parse(entry.happened_at);
  if (e.time_exact) return Math.abs(at - e.received_at_ms) < 1000;
  return gaps.some((g) => g.streamer === streamer && g.type === e.type && g.from_ms <= at
    && at <= (g.to_ms ?? Infinity) && g.from_ms <= e.received_at_ms && e.received_at_ms <= (g.to_ms ?? Infinity) + 1000);
}

/**
 * The table: each ledger entry (generated no later than `cutoffMs`, so none is
 * still between retries) classified against what is stored and the gaps.
 * `ledgers` maps a streamer to its entries (read before a kill, if any).
 */
async function table(api, title, ledgers, gaps, cutoffMs) {
  const rows = new Map();
  const row = (type) => rows.get(type) ?? rows.set(type, {
    generated: 0, live: 0, stored: 0, exact: 0, approximate: 0, inGap: 0, lost: 0,
  }).get(type);
  const lost = [];
  for (const [id, entries] of ledgers) {
    // Our app's events go to no streamer's feed, and no read route serves
    // theirs: acknowledged (2xx, answered after the write) stands for stored.
    const app = !STREAMERS.includes(id);
    const stored = app ? [] : await api.events(id);
    const ids = new Set(stored.map((e) => e.id));
    if (ids.size !== stored.length) fail(`${id}: ${stored.length - ids.size} events stored twice (same message id)`);
    // Each recovered row is the happening of one missed ledger entry, at
    // most once; one that matches none is a duplicate or an invention.
    const recoveredAs = new Map();
    for (const e of stored.filter((x) => x.recovered)) {
      const entry = entries.find((x) => !x.delivered && !recoveredAs.has(x.message_id) && sameHappening(x, e, gaps, id));
      if (entry) recoveredAs.set(entry.message_id, e);
      else fail(`${id}: recovered ${e.type} at ${iso(e.received_at_ms)} (${e.source}) matches no missed ledger entry: ${JSON.stringify(e.event)}`);
    }
    for (const entry of entries) {
      const at = Date.parse(entry.happened_at);
      if (at > cutoffMs) continue;
      const r = row(entry.type);
      r.generated += 1;
      if (entry.delivered) r.live += 1;
      if (ids.has(entry.message_id) || (app && entry.delivered)) { r.stored += 1; continue; }
      const recovered = recoveredAs.get(entry.message_id);
      if (recovered) { r[recovered.time_exact ? 'exact' : 'approximate'] += 1; continue; }
      const inside = gaps.some((g) => g.streamer === id && g.type === entry.type
        && g.from_ms <= at && (g.to_ms === null || at <= g.to_ms));
      if (inside) r.inGap += 1;
      else { r.lost += 1; lost.push(`${id} ${entry.type} ${entry.happened_at} ${entry.message_id} delivered=${entry.delivered}`); }
    }
  }
  const cols = ['generated', 'live', 'stored', 'exact', 'approximate', 'inGap', 'lost'];
  const heads = ['generated', 'delivered live', 'stored', 'recovered exact', 'recovered approx', 'inside a gap', 'silently lost'];
  console.log(`\n${title}`);
  console.log(['type'.padEnd(54), ...heads.map((h) => h.padStart(h.length))].join(' | '));
  const total = Object.fromEntries(cols.map((c) => [c, 0]));
  for (const [type, r] of [...rows].sort(([a], [b]) => a.localeCompare(b))) {
    console.log([`${type}${appLevel(type) ? ' *' : ''}`.padEnd(54), ...cols.map((c, i) => String(r[c]).padStart(heads[i].length))].join(' | '));
    for (const c of cols) total[c] += r[c];
  }
  console.log(['all'.padEnd(54), ...cols.map((c, i) => String(total[c]).padStart(heads[i].length))].join(' | '));
  if ([...rows.keys()].some(appLevel)) {
    console.log('  * our app\'s own subscription (condition: client_id), not a streamer\'s: its gaps are kept under the client id; stored = acknowledged');
  }
  for (const line of lost.slice(0, 20)) console.log(`  lost: ${line}`);
  if (total.lost > 0) fail(`${title}: ${total.lost} events silently lost`);
  if (total.generated === 0) fail(`${title}: nothing generated`);
}

/** Types our app subscribes to for itself (the simulator ledgers them under the user they name). */
const appLevel = (type) => type.startsWith('user.authorization.');

/** Prints each gap and FAILs one whose bounds are more than 5 s from the fault's. */
function checkBounds(gaps, faultFromMs, faultToMs) {
  console.log(`fault: ${iso(faultFromMs)} .. ${iso(faultToMs)}`);
  for (const g of gaps) {
    const dFrom = (g.from_ms - faultFromMs) / 1000;
    const dTo = g.to_ms === null ? null : (g.to_ms - faultToMs) / 1000;
    const line = `gap ${g.streamer} ${g.type} ${iso(g.from_ms)} .. ${g.to_ms === null ? 'open' : iso(g.to_ms)}`
      + ` (${g.cause}, ${g.state}; start ${dFrom >= 0 ? '+' : ''}${dFrom.toFixed(1)} s, end ${dTo === null ? 'open' : `${dTo >= 0 ? '+' : ''}${dTo.toFixed(1)} s`})`;
    if (Math.abs(dFrom) > BOUND_MS / 1000 || dTo === null || Math.abs(dTo) > BOUND_MS / 1000) {
      fail(`bounds more than 5 s from the fault's: ${line}`);
    } else console.log(`  ok ${line}`);
  }
}

/** Waits until every gap since `fromMs` has ended (at least `atLeast` of them) and deliveries go on after `sinceMs`. */
async function waitForClosedGaps(api, fromMs, sinceMs, atLeast, timeoutMs) {
  try {
    await until('every gap to end and deliveries to go on', async () => {
      const gaps = await allGaps(api, fromMs);
      return gaps.length >= atLeast && gaps.every((g) => g.to_ms !== null) && await delivering(api, sinceMs);
    }, timeoutMs);
  } catch (e) {
    fail(e.message);
  }
}

/** Waits until recovery has settled every gap (closed, with what it found); a FAIL otherwise. */
async function waitForSettledGaps(api, fromMs, timeoutMs) {
  try {
    await until('recovery to settle every gap', async () => (await allGaps(api, fromMs)).every((g) => g.state === 'closed'), timeoutMs);
  } catch (e) {
    for (const g of (await allGaps(api, fromMs)).filter((x) => x.state !== 'closed')) {
      console.log(`  not settled: ${g.streamer} ${g.type} ${g.state}: ${g.note ?? ''}`);
    }
    fail(e.message);
  }
}

/** Starts a fresh stack, logs in and tracks every streamer, and waits until deliveries arrive for each. */
async function freshStack(dir, name) {
  const stack = await startStack(join(dir, `${name}.db`), 0);
  const api = client(stack.base);
  const since = Date.now();
  console.log(`\n== ${name}: local stack at ${stack.base} (sim rate ${SIM_RATE}/s, sweep ${SWEEP_SECS} s); `
    + `authorized ${AUTHORIZED.join(', ')}, unauthorized ${UNAUTHORIZED.join(', ')}`);
  for (const id of AUTHORIZED) await api.login(id);
  for (const id of UNAUTHORIZED) await api.track(id);
  await until('deliveries to every streamer', () => delivering(api, since), 30_000);
  console.log(`subscriptions enabled, deliveries arriving after ${((Date.now() - since) / 1000).toFixed(1)} s`);
  return { stack, api, since, db: join(dir, `${name}.db`) };
}

/** Prints the manager's state of each type that still has an open gap (why it did not end). */
async function explainOpen(api, fromMs) {
  const open = (await allGaps(api, fromMs)).filter((g) => g.to_ms === null);
  if (open.length === 0) return;
  const { streamers } = await api.json('/admin/streamers', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  for (const g of open) {
    const s = streamers.find((x) => x.id === g.streamer);
    console.log(`  still open: ${g.streamer} ${g.type} (${g.cause}); the manager says ${JSON.stringify(s?.types?.[g.type] ?? null)}`);
  }
}

/** An outage shorter than the retry window (no gap allowed), then one past it. */
async function outageScenario(dir) {
  const { stack, api, since } = await freshStack(dir, 'outage');
  try {
    const { retry_window_seconds: windowSecs } = await api.outage(0);
    const windowMs = windowSecs * 1000;
    console.log(`the simulator's retry window: ${windowSecs} s`);
    await sleep(2000);
    const brief = Math.max(0.5, windowSecs / 3);
    const briefFrom = Date.now();
    await api.outage(brief);
    await sleep(brief * 1000 + windowMs + 3000);
    const briefGaps = await allGaps(api, since);
    console.log(`an outage of ${brief.toFixed(1)} s (< the ${windowSecs} s retry window) at ${iso(briefFrom)}: ${briefGaps.length} gaps`);
    for (const g of briefGaps) fail(`gap after an outage shorter than the retry window: ${g.streamer} ${g.type} from ${iso(g.from_ms)} (${g.cause})`);

    const outageFrom = Date.now();
    const answer = await api.outage(outageSeconds);
    const outageTo = Date.parse(answer.until);
    console.log(`an outage of ${outageSeconds} s (${(outageSeconds * COMPRESSION / 60).toFixed(0)} minutes of Twitch time) `
      + `from ${iso(outageFrom)} to ${answer.until}`);
    await sleep(outageTo - Date.now());
    await waitForClosedGaps(api, since, outageTo, 1, (short ? 30 : 60) * 1000);
    await explainOpen(api, since);
    await waitForSettledGaps(api, since, 30_000);
    await sleep(windowMs + 2000);
    const cutoff = Date.now() - windowMs - 2000;
    const gaps = await allGaps(api, since);
    checkBounds(gaps, outageFrom, outageTo);
    const ledgers = new Map();
    for (const id of await owners(api)) ledgers.set(id, await api.ledger(id));
    await table(api, `OUTAGE of ${outageSeconds} s (${(outageSeconds * COMPRESSION / 60).toFixed(0)} Twitch minutes), ${STREAMERS.length} streamers`,
      ledgers, gaps, cutoff);
  } finally {
    stack.child.kill('SIGINT');
  }
}

/** The stack killed with kill -9 mid-stream and restarted on the same db and port. */
async function killScenario(dir) {
  let { stack, api, since, db } = await freshStack(dir, 'kill');
  try {
    await sleep(3000);
    // The simulator lives in the stack's process and dies with it: what it
    // generated before the kill is the ledger as read just before it.
    const before = new Map();
    for (const id of await owners(api)) before.set(id, await api.ledger(id));
    const killedAt = Date.now();
    stack.child.kill('SIGKILL');
    await new Promise((resolve) => stack.child.once('exit', resolve));
    const down = short ? 3000 : 10_000;
    await sleep(down);
    stack = await startStack(db, stack.port);
    const restartedAt = Date.now();
    api = client(stack.base);
    console.log(`kill -9 at ${iso(killedAt)}, restarted at ${iso(restartedAt)} on the same db and port`);
    await waitForClosedGaps(api, since, restartedAt, 0, (short ? 30 : 60) * 1000);
    await explainOpen(api, since);
    const gaps = await allGaps(api, since);
    checkBounds(gaps, killedAt, restartedAt);
    // Down past the retry window, Twitch would have given up on what it sent
    // meanwhile: each (streamer, type) that was receiving needs a gap. Down
    // for less, its retries get through: no gap.
    const { retry_window_seconds: windowSecs } = await api.outage(0);
    const receiving = new Set();
    for (const [id, entries] of before) for (const e of entries) receiving.add(`${id} ${e.type}`);
    for (const key of receiving) {
      const has = gaps.some((g) => `${g.streamer} ${g.type}` === key);
      if (down / 1000 > windowSecs && !has) fail(`no gap for ${key} after ${down / 1000} s down (> the ${windowSecs} s retry window)`);
    }
    if (down / 1000 <= windowSecs && gaps.length > 0) fail(`${gaps.length} gaps after ${down / 1000} s down (< the ${windowSecs} s retry window)`);
    await table(api, `KILL -9 (${down / 1000} s down), ${STREAMERS.length} streamers: the ledger up to the kill`, before, gaps, killedAt);
  } finally {
    stack.child.kill('SIGINT');
  }
}

const dir = await mkdtemp(join(tmpdir(), 'drill-outage-'));
try {
  await outageScenario(dir);
  if (!flag('--no-kill')) await killScenario(dir);
} catch (e) {
  fail(e.message);
} finally {
  await rm(dir, { recursive: true, force: true });
}
console.log(failures.length ? `\n${failures.length} FAIL lines` : '\nthe drill passed: nothing silently lost, every gap within 5 s of its fault');
process.exit(failures.length ? 1 : 0);
