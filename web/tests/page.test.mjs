// The page in real headless Chromium against the real local stack binary:
// log in through the simulated Twitch, pick a streamer, see the backlog, see
// a triggered event arrive, survive a server restart (reconnect,
// re-subscribe, backlog again without duplicates), keep favourites across a
// reload, log out.
//
//   node --test web/tests/      (after `cargo build -p local`)
//
// LOCAL_BIN overrides the binary (default target/debug/local); CHROMIUM the
// browser (default /usr/bin/chromium).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = process.env.LOCAL_BIN ?? join(root, 'target', 'debug', 'local');
const browserPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const run = promisify(execFile);
const BROADCASTER = '424242';

let workdir;
let server;
let port = 0;
let context;
let page;
const pageErrors = [];
// What the page is going through, for telling expected console errors from
// the rest: 'restart' while the server is down, 'logged-out' while requests
// a logged-out visitor makes are refused, 'steady' otherwise.
let phase = 'steady';

/** Starts the stack on `port` (0: any) and resolves once it listens. */
function startServer() {
  const child = spawn(bin, ['serve', '--port', String(port), '--db', join(workdir, 'events.db'), '--poll-secs', '1', '--gap-pass-secs', '1'], {
    cwd: root,
    env: { ...process.env, RUST_LOG: 'warn', WEB_DIR: join(root, 'web') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const early = (code) => reject(new Error(`local stack exited early (${code}): ${out}`));
    const read = (chunk) => {
      out += chunk;
      const match = out.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (match) {
        port = Number(match[1]);
        child.off('exit', early);
        child.stdout.off('data', read);
        child.stdout.resume(); // keep draining so the server never blocks on a full pipe
        resolve(child);
      }
    };
    child.once('exit', early);
    child.stdout.on('data', read);
  });
}

/** Ctrl-C, as a person would, and wait for the clean exit. */
function stopServer(child) {
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGINT');
  });
}

/** Posts one signed notification through the trigger command; returns its message id. */
async function trigger(kind, count = 1, broadcaster = BROADCASTER) {
  const { stdout } = await run(bin, [
    'trigger', kind, '--to', `http://127.0.0.1:${port}/eventsub`,
    '--broadcaster', broadcaster, '--count', String(count),
  ]);
  const ids = [...stdout.matchAll(/^notification \S+ (\S+) -> 204/gm)].map((m) => m[1]);
  assert.equal(ids.length, count, `trigger output: ${stdout}`);
  return ids;
}

/** What sticks out past the right edge of the window (for a failing width check). */
const tooWide = () => page.evaluate(() => [...document.querySelectorAll('body *')]
  .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .slice(0, 8).map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className?.baseVal ?? e.className}:${Math.round(e.getBoundingClientRect().right)}`).join(' '));

/** The HTTP status of a WebSocket handshake to `url`, as the page's origin sends it (101: opened). */
const upgradeStatus = (url) => new Promise((resolve, reject) => {
  const req = httpRequest(url.replace(/^ws/, 'http'), {
    headers: {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      Origin: `http://127.0.0.1:${port}`,
    },
  });
  req.on('response', (res) => { res.resume(); resolve(res.statusCode); });
  req.on('upgrade', (res, socket) => { socket.destroy(); resolve(101); });
  req.on('error', reject);
  req.end();
});

const feedIds = () => page.$$eval('#feed li', (items) => items.map((li) => li.dataset.id));

before(async () => {
  workdir = await mkdtemp(join(tmpdir(), 'streamer-events-page-'));
  server = await startServer();
  context = await chromium.launchPersistentContext(join(workdir, 'profile'), {
    executablePath: browserPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = context.pages()[0] ?? await context.newPage();
  page.on('pageerror', (error) => pageErrors.push({ phase, text: error.message }));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push({ phase, text: message.text() });
  });
});

after(async () => {
  await context?.close();
  if (server && server.exitCode === null) await stopServer(server);
  if (workdir) await rm(workdir, { recursive: true, force: true });
});

test('logged out, the page says what logging in gives and opens no socket', async () => {
  // Without a session cookie the page does not ask GET /api/me (no 401 on
  // every load): the phase stays steady, so any console error fails below.
  const asked = [];
  const seen = (request) => {
    if (new URL(request.url()).pathname === '/api/me') asked.push(request.url());
  };
  page.on('request', seen);
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForSelector('#login:visible');
  page.off('request', seen);
  assert.deepEqual(asked, [], 'no GET /api/me without a session cookie');
  phase = 'logged-out'; // the ticket request below is a 401
  assert.match(await page.textContent('#pitch'), /favourite/i);
  assert.equal(await page.isHidden('#favourites-section'), true);
  assert.equal(await page.isVisible('#login-channel'), true);
  const ticket = await page.evaluate(async () => (await fetch('/api/ws-ticket', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}',
  })).status);
  assert.equal(ticket, 401);
  phase = 'steady';
});

test('logged out, a visitor watches a streamer: the backlog, a new event and the charts, with no socket', async () => {
  // A streamer of its own, so the logged-in tests below see only their events.
  const streamer = '515151';
  await page.addInitScript(() => {
    window.socketsOpened = 0;
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        window.socketsOpened += 1;
      }
    };
  });
  const backlog = await trigger('channel.cheer', 2, streamer);
  await page.goto('about:blank'); // from `/`, a new hash alone would not load the page again
  await page.goto(`http://127.0.0.1:${port}/#${streamer}`);
  await page.waitForSelector('#status[data-state="polling"]');
  assert.match(await page.textContent('#status'), /every 10 s/);
  await page.waitForFunction((n) => document.querySelectorAll('#feed li').length === n, 2);
  assert.deepEqual(await feedIds(), [...backlog].reverse());
  await page.waitForSelector('#insights:not([hidden])');
  assert.equal(await page.isVisible('#exports'), true);
  // Read again within the poll interval (10 s): the wait is for the row.
  const [live] = await trigger('channel.follow', 1, streamer);
  await page.waitForSelector(`#feed li[data-id="${live}"]`, { timeout: 25_000 });
  assert.deepEqual(await feedIds(), [live, ...[...backlog].reverse()]);
  // The charts count it as it arrives, not at their next read a minute later.
  await page.waitForFunction(() => [...document.querySelectorAll('#viewers-legend li')].some((li) => li.textContent.trim() === 'Follows 1'), null, { timeout: 5_000 });
  assert.equal(await page.evaluate(() => window.socketsOpened), 0, 'no WebSocket opened');
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForSelector('#login:visible');
});

test("cancelling the login at Twitch lands on a page in the site's style that says so and leads back", async () => {
  await page.click('#login');
  await page.waitForSelector('#cancel');
  await page.click('#cancel');
  await page.waitForSelector('#title');
  assert.equal(await page.textContent('#title'), 'You did not log in');
  assert.match(await page.textContent('#text'), /You can still watch streamers/);
  // The site's stylesheet applies (its policy allows styles from this origin only).
  const back = await page.$eval('#back', (a) => getComputedStyle(a).backgroundColor);
  assert.equal(back, 'rgb(145, 71, 255)', "the way back is the site's button");
  await page.click('#back');
  await page.waitForSelector('#login:visible');
  assert.equal(new URL(page.url()).pathname, '/');
});

test('log in through the simulated Twitch consent page', async () => {
  await page.click('#login');
  await page.waitForSelector('#authorize');
  assert.match(page.url(), /\/oauth2\/authorize\?/);
  await page.click('#authorize');
  await page.waitForSelector('#logged-in:visible');
  assert.equal(await page.textContent('#me-name'), 'User1337');
  assert.equal(new URL(page.url()).pathname, '/');
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'sid');
  assert.ok(session?.httpOnly, 'an HttpOnly session cookie');
  assert.equal(session.sameSite, 'Lax');
  assert.equal(cookies.some((c) => c.name === 'oauth'), false, 'the login cookie is cleared');
});

test('backlog, then a live event appears at the top', async () => {
  const backlog = await trigger('channel.cheer', 2);
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForSelector('#logged-in:visible');
  await page.fill('#broadcaster', BROADCASTER);
  await page.click('#picker button');
  await page.waitForSelector('#status[data-state="live"]');
  await page.waitForFunction((n) => document.querySelectorAll('#feed li').length === n, 2);
  // Newest first.
  assert.deepEqual(await feedIds(), [...backlog].reverse());
  assert.match(page.url(), new RegExp(`#${BROADCASTER}$`));
  // A backlog short of full is all there is: no "Show older events".
  await page.waitForSelector('#feed > li[data-id]');
  assert.equal(await page.isHidden('#older'), true);

  const [live] = await trigger('channel.follow');
  await page.waitForSelector(`#feed li[data-id="${live}"]`);
  assert.deepEqual(await feedIds(), [live, ...[...backlog].reverse()]);
  const text = await page.textContent(`#feed li[data-id="${live}"] .summary`);
  assert.match(text, /follow/i);
  // The kind in words, from the server's labels; the wire name only as a tooltip.
  assert.equal(await page.textContent(`#feed li[data-id="${live}"] .type`), 'New follower');
  assert.equal(await page.getAttribute(`#feed li[data-id="${live}"] .type`, 'title'), 'channel.follow');
  assert.equal(await page.isHidden('#empty'), true);
});

test('a bad streamer is answered with a readable error', async () => {
  await page.fill('#broadcaster', 'not a login!');
  await page.click('#picker button');
  await page.waitForSelector('#error:not([hidden])');
  assert.match(await page.textContent('#error'), /invalid_broadcaster/);
  // Nothing of the streamer watched before stays: no charts, no export links.
  await page.waitForSelector('#insights', { state: 'hidden' });
  assert.equal(await page.isHidden('#exports'), true);
  // Back to the real one for the next test.
  await page.fill('#broadcaster', BROADCASTER);
  await page.click('#picker button');
  await page.waitForSelector('#status[data-state="live"]');
  await page.waitForFunction((n) => document.querySelectorAll('#feed li').length === n, 3);
});

test('after a server restart the page reconnects, re-subscribes and shows new events once', async () => {
  const before = await feedIds();
  phase = 'restart';
  await stopServer(server);
  await page.waitForSelector('#status[data-state="reconnecting"]');
  // In words, not the browser's ("Failed to fetch").
  assert.match(await page.textContent('#status'), /^(The server cannot be reached|The server closed the connection|Connection lost): trying again in \d+ s$/);
  server = await startServer(); // same port, same database file
  await page.waitForSelector('#status[data-state="live"]');
  phase = 'steady';
  const [live] = await trigger('channel.raid');
  await page.waitForSelector(`#feed li[data-id="${live}"]`);
  // The backlog came again on re-subscribe; nothing is shown twice.
  assert.deepEqual(await feedIds(), [live, ...before]);
});

test('a streamer picked by login is watched by its user id', async () => {
  const before = await feedIds();
  // The stack resolves logins on (simulated) Twitch: user<id> is that user.
  await page.fill('#broadcaster', `user${BROADCASTER}`);
  await page.click('#picker button');
  await page.waitForSelector('#status[data-state="live"]');
  await page.waitForFunction((n) => document.querySelectorAll('#feed li').length === n, Math.min(before.length, 10));
  assert.match(await page.textContent('#status'), new RegExp(`user${BROADCASTER}`));
  const [live] = await trigger('channel.cheer');
  await page.waitForSelector(`#feed li[data-id="${live}"]`);
  assert.equal((await feedIds())[0], live);
});

/** What the charts say of one kind (its id and label): both legends, today's bar, and the events the markers stand for. */
function countsOnCharts([kind, label]) {
  const legend = (id) => Number([...document.querySelectorAll(`#${id} li`)]
    .map((li) => li.textContent.trim().match(new RegExp(`^${label} (\\d+)$`))?.[1]).find(Boolean) ?? 0);
  const today = new Date().toISOString().slice(0, 10);
  const markers = [...document.querySelectorAll(`#viewers .marker[data-kind="${kind}"]`)]
    .reduce((n, m) => n + Number(m.getAttribute('aria-label').match(/: (\d+) events,/)?.[1] ?? 1), 0);
  return {
    legend: legend('viewers-legend'),
    perDayLegend: legend('per-day-legend'),
    today: Number(document.querySelector(`#per-day .bar[data-day="${today}"] .total`)?.textContent ?? 0),
    markers,
  };
}

/** Waits until the charts say `want` of `kind` (5 s at most), and says what they said instead. */
async function chartsSay(kind, want) {
  await page.evaluate(`window.countsOnCharts = ${countsOnCharts}`);
  try {
    await page.waitForFunction(([k, w]) => JSON.stringify(window.countsOnCharts(k)) === w, [kind, JSON.stringify(want)], { timeout: 5_000 });
  } catch {
    // Timed out: the assertion below says how the counts differ.
  }
  assert.deepEqual(await page.evaluate((k) => window.countsOnCharts(k), kind), want);
}

test('the charts follow the feed: each live event counted at once, and not again after the next read', async () => {
  const streamer = '606060';
  await trigger('channel.follow', 2, streamer);
  await page.fill('#broadcaster', streamer);
  await page.click('#picker button');
  await page.waitForFunction((b) => window.streamerEvents.connection.subscribed === b, streamer);
  await chartsSay(['follows', 'Follows'], { legend: 2, perDayLegend: 2, today: 2, markers: 2 });
  const live = await trigger('channel.follow', 5, streamer);
  await page.waitForSelector(`#feed li[data-id="${live[4]}"]`);
  // In the legends, today's bar and the markers as they arrive, not at the next read a minute later.
  const seven = { legend: 7, perDayLegend: 7, today: 7, markers: 7 };
  await chartsSay(['follows', 'Follows'], seven);
  // The next read replaces the local tally with the server's: still 7, not 12.
  await page.evaluate(() => window.streamerEvents.refreshInsights());
  assert.deepEqual(await page.evaluate(() => window.countsOnCharts(['follows', 'Follows'])), seven, 'not counted twice after a read');
  // A live event after that read is counted once, on top of it.
  const [one] = await trigger('channel.follow', 1, streamer);
  await page.waitForSelector(`#feed li[data-id="${one}"]`);
  await chartsSay(['follows', 'Follows'], { legend: 8, perDayLegend: 8, today: 8, markers: 8 });
});

test('the charts: viewers over 24 hours and 7 days with events marked on the line, events per day by keyboard', async () => {
  // Channels 100000… are live on the simulated Twitch.
  const live = '100000';
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.fill('#broadcaster', `user${live}`);
  await page.click('#picker button');
  await page.waitForSelector('#status[data-state="live"]');
  await trigger('channel.cheer', 2, live);
  const [raid] = await trigger('channel.raid', 1, live);
  // A week of evening streams, as the poller would have recorded them.
  const { stdout } = await run(bin, ['history', '--db', join(workdir, 'events.db'), '--broadcaster', live, '--days', '7']);
  assert.match(stdout, /wrote \d+ snapshots/);
  // Watching tracked it; wait until the poller (every second here) stored a snapshot of today.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await fetch(`http://127.0.0.1:${port}/api/streamers/${live}/streams?from=${Date.now() - 60_000}`);
    const body = r.ok ? await r.json() : { snapshots: [] };
    if (body.snapshots.length > 0) break;
    assert.ok(Date.now() < deadline, 'no snapshot within 20 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const raidAt = (await (await fetch(`http://127.0.0.1:${port}/api/streamers/${live}/events?limit=5`)).json())
    .events.find((e) => e.id === raid).received_at_ms;
  await page.evaluate(() => window.streamerEvents.refreshInsights());
  await page.waitForSelector('#viewers[data-span="day"] polyline', { state: 'attached' });
  assert.equal(await page.isVisible('#insights'), true);

  // The raid is marked where it happened, named for assistive tech.
  const marker = page.getByRole('listitem', { name: /^Raids at [^:]+:\d\d[^:]*: \S/ });
  await marker.waitFor();
  assert.equal(Number(await marker.getAttribute('data-at')), raidAt);
  const legend = await page.textContent('#viewers-legend');
  assert.match(legend, /Raids 1/);
  assert.match(legend, /Cheers 2/);

  // 24 hours: at most 288 five-minute points, none from before the window.
  const dayPoints = Number(await page.getAttribute('#viewers', 'data-points'));
  assert.ok(dayPoints >= 1 && dayPoints <= 288, `${dayPoints} points`);
  assert.ok(Number(await page.getAttribute('#viewers', 'data-from')) >= Date.now() - 24 * 3_600_000 - 60_000);

  // 7 days: a week's points, from its first evening on, the raid still marked.
  await page.click('#span button[data-span="week"]');
  await page.waitForSelector('#viewers[data-span="week"]');
  assert.equal(await page.getAttribute('#span button[data-span="week"]', 'aria-pressed'), 'true');
  const weekPoints = Number(await page.getAttribute('#viewers', 'data-points'));
  assert.ok(weekPoints > 50 && weekPoints <= 336, `${weekPoints} points`);
  const from = Number(await page.getAttribute('#viewers', 'data-from'));
  assert.ok(from < Date.now() - 6 * 24 * 3_600_000, `first point at ${new Date(from).toISOString()}`);
  assert.ok(await page.$$eval('#viewers polyline', (lines) => lines.length) >= 7, 'one line per evening, broken while offline');
  await page.getByRole('listitem', { name: /^Raids at \w+ [^:]+:\d\d[^:]*: \S/ }).waitFor();

  // Events per day: from the toggle, Tab reaches today's bar, which says its numbers.
  const today = new Date().toISOString().slice(0, 10);
  await page.focus('#span button[data-span="week"]');
  let focused = null;
  for (let i = 0; i < 60 && focused?.day !== today; i += 1) {
    await page.keyboard.press('Tab');
    focused = await page.evaluate(() => ({ day: document.activeElement.dataset.day, label: document.activeElement.getAttribute('aria-label') }));
  }
  assert.equal(focused?.day, today, 'today\'s bar is reachable with Tab');
  assert.match(focused.label, /: 3 events \(.*Cheers 2.*Raids 1/);
  assert.equal(await page.getByRole('listitem', { name: focused.label }).count(), 1, 'exposed with that name');
  assert.equal(await page.$$eval('#per-day .bar', (bars) => bars.length), 7);

  // Screenshots of both spans, light and dark, phone and desktop.
  const dir = join(root, 'target', 'screenshots');
  await mkdir(dir, { recursive: true });
  for (const [width, height] of [[375, 812], [1280, 900]]) {
    await page.setViewportSize({ width, height });
    for (const span of ['day', 'week']) {
      await page.click(`#span button[data-span="${span}"]`);
      await page.waitForFunction((s) => document.getElementById('viewers').dataset.span === s
        && Math.abs(document.getElementById('viewers').viewBox.baseVal.width - document.getElementById('viewers').getBoundingClientRect().width) < 2, span);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${width}px: ${overflow}px too wide: ${await tooWide()}`);
      await page.locator('#insights').screenshot({ path: join(dir, `charts-${span}-${width}.png`) });
    }
  }
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.locator('#insights').screenshot({ path: join(dir, 'charts-week-1280-dark.png') });
  const { violations } = await new AxeBuilder({ page }).include('#insights').analyze();
  assert.deepEqual(violations.map((v) => v.id), [], 'the charts in dark mode');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.click('#span button[data-span="day"]');
});

test('the charts can be hidden and shown again, remembered across a reload', async () => {
  await page.waitForSelector('#per-day .bar', { state: 'attached' });
  assert.equal(await page.getAttribute('#charts-toggle', 'aria-expanded'), 'true');
  await page.click('#charts-toggle');
  await page.waitForSelector('#charts', { state: 'hidden' });
  assert.equal(await page.getAttribute('#charts-toggle', 'aria-expanded'), 'false');
  assert.equal(await page.isHidden('#span'), true, 'no span to choose for hidden charts');
  await page.reload();
  await page.waitForSelector('#logged-in:visible');
  await page.waitForSelector('#insights:visible');
  assert.equal(await page.isHidden('#charts'), true, 'still hidden after a reload');
  await page.click('#charts-toggle');
  // Drawn on showing, from what was read while hidden.
  await page.waitForSelector('#per-day .bar', { state: 'visible' });
  assert.equal(await page.getAttribute('#charts-toggle', 'aria-expanded'), 'true');
});

test('a favourite: added by login, watched with its backlog and live events, kept across a reload', async () => {
  const fav = '777';
  const backlog = await trigger('channel.cheer', 2, fav);
  await page.fill('#favourite', `user${fav}`);
  await page.click('#add-favourite button');
  await page.waitForSelector(`#favourites li[data-id="${fav}"]`);
  await page.waitForSelector('#status[data-state="live"]');
  await page.waitForFunction((n) => document.querySelectorAll('#feed li').length === n, 2);
  assert.deepEqual(await feedIds(), [...backlog].reverse());
  const [live] = await trigger('channel.follow', 1, fav);
  await page.waitForSelector(`#feed li[data-id="${live}"]`);

  await page.reload();
  await page.waitForSelector('#logged-in:visible');
  await page.waitForSelector(`#favourites li[data-id="${fav}"]`);
  await page.click(`#favourites li[data-id="${fav}"] .watch`);
  await page.waitForSelector(`#feed li[data-id="${live}"]`);
});

test('going live and going offline show at once, for the streamer watched and on its favourite badge', async () => {
  // 777 is offline on the simulated Twitch, and the poller (every second here) keeps saying so.
  await page.waitForFunction(() => window.streamerEvents.connection.subscribed === '777');
  assert.equal(await page.isHidden('#on-air'), true);
  await page.waitForSelector('#favourites li[data-id="777"][data-live="false"]');
  const [online] = await trigger('stream.online', 1, '777');
  await page.waitForSelector(`#feed li[data-id="${online}"]`);
  await page.waitForSelector('#favourites li[data-id="777"][data-live="true"]', { timeout: 5_000 });
  await page.waitForSelector('#on-air:visible', { timeout: 5_000 });
  assert.equal(await page.textContent('#favourites li[data-id="777"] .live-badge'), 'live');
  // The poller's older word (read again from /api/me) does not take it back.
  await page.evaluate(() => window.streamerEvents.account.load());
  assert.equal(await page.getAttribute('#favourites li[data-id="777"]', 'data-live'), 'true');
  assert.equal(await page.isVisible('#on-air'), true);
  const [offline] = await trigger('stream.offline', 1, '777');
  await page.waitForSelector(`#feed li[data-id="${offline}"]`);
  await page.waitForSelector('#on-air', { state: 'hidden', timeout: 5_000 });
  await page.waitForSelector('#favourites li[data-id="777"][data-live="false"]', { timeout: 5_000 });
});

test('filters hide and show kinds of event, remembered for this user across a reload', async () => {
  const [follow] = await trigger('channel.follow', 1, '777');
  await page.waitForSelector(`#feed li[data-id="${follow}"]`);
  const box = '#filters input[value="follows"]';
  await page.uncheck(box);
  assert.equal(await page.isHidden(`#feed li[data-id="${follow}"]`), true);
  assert.ok(await page.isVisible('#feed li[data-category="cheers"]'), 'other kinds stay');
  await page.reload();
  await page.waitForSelector('#logged-in:visible');
  assert.equal(await page.isChecked(box), false, 'remembered');
  await page.click('#favourites li[data-id="777"] .watch');
  await page.waitForSelector(`#feed li[data-id="${follow}"]`, { state: 'attached' });
  assert.equal(await page.isHidden(`#feed li[data-id="${follow}"]`), true);
  await page.check(box);
  // Shown again (once the feed's backlog is in: the list is unseen while it comes).
  await page.waitForSelector(`#feed li[data-id="${follow}"]`, { timeout: 2_000 });
});

test('every kind of event the catalog knows falls under a named filter, and each filter is a checkbox', async () => {
  const { unfiled, boxes, categories } = await page.evaluate(async () => {
    const { CATEGORIES, categoryOf } = await import('/js/filters.js');
    const { types } = await (await fetch('/api/event-types')).json();
    return {
      // The app's own grant and revoke never reach a streamer's feed.
      unfiled: types.map((t) => t.type).filter((t) => !t.startsWith('user.authorization.') && categoryOf(t) === 'other'),
      boxes: [...document.querySelectorAll('#filters input[type=checkbox]')].map((b) => b.value),
      categories: CATEGORIES.map((c) => c.id),
    };
  });
  assert.deepEqual(unfiled, []);
  assert.deepEqual(boxes, categories);
  assert.ok(categories.includes('other'), 'types the page does not know yet have a filter too');
});

test('a gift bomb reads as one line, its recipients folded under it', async () => {
  const folded = await page.evaluate(() => {
    const { feed } = window.streamerEvents;
    const b = feed.list.firstElementChild?.dataset.broadcaster ?? '777';
    const at = Date.now();
    const sub = (n, t) => ({ type: 'event', id: `gifted-${n}`, broadcaster: b, event_type: 'channel.subscribe', received_at: t,
      backlog: false, summary: { text: `recipient${n} subscribed` }, event: { user_name: `Recipient${n}`, is_gift: true, tier: '1000' } });
    // One recipient's event arrives before the gift, as Twitch may send them.
    feed.add(sub(0, at));
    feed.add({ type: 'event', id: 'gift-bomb', broadcaster: b, event_type: 'channel.subscription.gift', received_at: at + 1,
      backlog: false, summary: { text: 'Gifter gifted 3 Tier 1 subs' }, event: { total: 3, user_name: 'Gifter', tier: '1000' } });
    feed.add(sub(1, at + 2));
    feed.add(sub(2, at + 3));
    feed.add(sub(2, at + 3)); // a redelivery: shown once
    const gift = feed.list.querySelector('li[data-id="gift-bomb"]');
    return {
      lines: feed.list.querySelectorAll('li[data-type="channel.subscribe"]').length,
      recipients: [...gift.querySelectorAll('.recipients li')].map((li) => li.textContent).sort(),
      label: gift.querySelector('.recipients summary').textContent,
    };
  });
  assert.deepEqual(folded, { lines: 0, recipients: ['Recipient0', 'Recipient1', 'Recipient2'], label: '3 recipients' });
});

test('the player and chat: by host name the frames name the page as parent; otherwise the page says why', async () => {
  // With the simulator the stack says there is no real channel to play.
  await page.waitForSelector('#watch:visible');
  assert.match(await page.textContent('#embed-note'), /simulator/);
  // As a deployment with real Twitch would configure it; Twitch itself is
  // not reachable here, so its frames are answered by a stand-in.
  const real = await context.newPage();
  await real.route('**/config.json', async (route) => {
    const response = await route.fetch();
    route.fulfill({ response, json: { ...(await response.json()), embeds: true } });
  });
  await real.route(/^https:\/\/(player|www)\.twitch\.tv\//, (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>twitch</title>' }));
  await real.goto(`http://localhost:${port}/#user777`);
  const player = await real.waitForSelector('#player');
  const src = new URL(await player.getAttribute('src'));
  assert.equal(src.origin, 'https://player.twitch.tv');
  assert.equal(src.searchParams.get('channel'), 'user777');
  assert.deepEqual(src.searchParams.getAll('parent'), ['localhost']);
  const chat = new URL(await real.getAttribute('#chat', 'src'));
  assert.equal(chat.pathname, '/embed/user777/chat');
  assert.equal(chat.searchParams.get('parent'), 'localhost');
  const csp = (await real.evaluate(async () => (await fetch('/')).headers.get('content-security-policy')));
  assert.match(csp, /frame-src https:\/\/player\.twitch\.tv https:\/\/www\.twitch\.tv;/);
  // Opened by IP address, Twitch would refuse the embed: the page says so.
  await real.goto(`http://127.0.0.1:${port}/#user777`);
  await real.waitForSelector('#embed-note');
  assert.match(await real.textContent('#embed-note'), /IP address/);
  assert.equal(await real.$('#player'), null);
  await real.close();
});

test('older events page in below, live ones keep arriving on top, nothing twice', async () => {
  const streamer = '31337';
  const all = await trigger('channel.cheer', 25, streamer);
  await page.fill('#broadcaster', streamer);
  await page.click('#picker button');
  await page.waitForFunction((n) => document.querySelectorAll('#feed li').length === n, 10);
  await page.click('#older');
  await page.waitForFunction((n) => document.querySelectorAll('#feed li').length === n, 25);
  assert.deepEqual(await feedIds(), [...all].reverse(), 'every event once, newest first');
  await page.waitForSelector('#older', { state: 'hidden' });
  // The same events, downloadable: the export link serves them as CSV.
  const href = await page.getAttribute('#export-csv', 'href');
  assert.equal(href, `api/streamers/${streamer}/events.csv`);
  const csv = await page.evaluate(async (url) => (await fetch(url)).text(), href);
  assert.equal(csv.trim().split('\n').length, 1 + all.length);
  const [live] = await trigger('channel.follow', 1, streamer);
  await page.waitForSelector(`#feed li[data-id="${live}"]`);
  assert.equal((await feedIds())[0], live);
});

test('favourites show who is live now, live ones first, with viewers and game', async () => {
  // Channels 100000… are live on the simulated Twitch; the poller (every
  // second here) records the live state of tracked streamers.
  await page.fill('#favourite', 'user100001');
  await page.click('#add-favourite button');
  await page.waitForSelector('#favourites li[data-id="100001"]');
  const deadline = Date.now() + 20_000;
  for (;;) {
    const live = await page.evaluate(async () =>
      (await (await fetch('/api/me')).json()).favourites.find((f) => f.id === '100001')?.live);
    if (live) break;
    assert.ok(Date.now() < deadline, 'not live within 20 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await page.evaluate(() => window.streamerEvents.account.load());
  await page.waitForSelector('#favourites li[data-id="100001"][data-live="true"]');
  const order = await page.$$eval('#favourites li', (items) => items.map((li) => li.dataset.id));
  assert.equal(order[0], '100001', `live first: ${order}`);
  assert.match(await page.textContent('#favourites li[data-id="100001"] .live-badge'), /live · \d+ viewers/);
  assert.notEqual((await page.textContent('#favourites li[data-id="100001"] .game')).trim(), '');
});

test('new since you last looked: an unread count, a line in the feed, and mark as read', async () => {
  await page.click('#favourites li[data-id="777"] .watch');
  await page.waitForSelector('#mark-read:visible');
  await page.waitForSelector('#feed li[data-id]');
  await page.click('#mark-read');
  await page.waitForFunction(() => !document.querySelector('#favourites li[data-id="777"] .unread:not([hidden])'));
  // Counted while watching another streamer (the one watched has no badge).
  await page.fill('#broadcaster', BROADCASTER);
  await page.click('#picker button');
  await page.waitForSelector('#status[data-state="live"]');
  await page.waitForFunction((b) => window.streamerEvents.connection.subscribed === b, BROADCASTER);
  const fresh = await trigger('channel.cheer', 2, '777');
  await page.evaluate(() => window.streamerEvents.account.load());
  await page.waitForSelector('#favourites li[data-id="777"] .unread:not([hidden])');
  assert.equal(await page.textContent('#favourites li[data-id="777"] .unread'), '2 new');
  // Watching it again: the line sits below exactly the two new events.
  await page.reload();
  await page.waitForSelector('#logged-in:visible');
  await page.click('#favourites li[data-id="777"] .watch');
  await page.waitForSelector('#feed li.divider');
  const above = await page.$$eval('#feed li', (items) => {
    const out = [];
    for (const li of items) { if (li.classList.contains('divider')) break; out.push(li.dataset.id); }
    return out;
  });
  assert.deepEqual(above, [...fresh].reverse());
  await page.click('#mark-read');
  await page.waitForSelector('#feed li.divider', { state: 'detached' });
  await page.waitForFunction(() => !document.querySelector('#favourites li[data-id="777"] .unread:not([hidden])'));
});

test('watching a favourite hides its badge and marks what arrives as read; a gift bomb marks read up to its newest recipient', async () => {
  await page.click('#favourites li[data-id="777"] .watch');
  await page.waitForFunction(() => window.streamerEvents.connection.subscribed === '777');
  const [seen] = await trigger('channel.follow', 1, '777');
  await page.waitForSelector(`#feed li[data-id="${seen}"]`);
  // Marked read by watching, with no click: the server counts nothing new.
  await page.waitForFunction(async () => {
    const me = await (await fetch('/api/me')).json();
    return me.favourites.find((f) => f.id === '777')?.unread === 0;
  }, null, { polling: 250 });
  // A gift whose recipients arrive after it: the newest position is the last recipient's.
  const newest = await page.evaluate(() => {
    const { feed } = window.streamerEvents;
    const at = Date.now() + 60_000;
    feed.add({ type: 'event', id: 'bomb', broadcaster: '777', event_type: 'channel.subscription.gift', received_at: at,
      cursor: 'c-gift', backlog: false, summary: { text: 'gift' }, event: { total: 2, tier: '1000' } });
    for (const n of [1, 2]) {
      feed.add({ type: 'event', id: `r${n}`, broadcaster: '777', event_type: 'channel.subscribe', received_at: at + n,
        cursor: `c-r${n}`, backlog: false, summary: { text: 'sub' }, event: { is_gift: true, tier: '1000' } });
    }
    return feed.newestCursor();
  });
  assert.equal(newest, 'c-r2');
  assert.equal(await page.isHidden('#favourites li[data-id="777"] .unread'), true, 'no badge on the channel watched');
  await page.reload(); // the made-up rows above are not the server's
  await page.waitForSelector('#logged-in:visible');
});

/**
 * Asks for the overlay URL of favourite `id` and waits for this answer (the
 * box may still show an earlier one, perhaps of a key revoked since).
 */
async function newOverlayUrl(id) {
  await page.evaluate(() => { document.getElementById('overlay-url').value = ''; });
  await page.click(`#favourites li[data-id="${id}"] .overlay`);
  await page.waitForSelector('#overlay-box:visible');
  await page.waitForFunction(() => document.getElementById('overlay-url').value !== '');
  return page.inputValue('#overlay-url');
}

/**
 * A new key's overlay URL for favourite `id` (Reset URL, confirmed): its
 * alerts start now, not where an earlier test's overlay left off.
 */
async function freshOverlayUrl(id) {
  const old = await newOverlayUrl(id);
  const confirmed = nextDialog(true);
  await page.click('#reset-overlay');
  await confirmed;
  await page.waitForFunction((was) => document.getElementById('overlay-url').value !== was, old);
  return page.inputValue('#overlay-url');
}

/** Answers the next confirm() with `accept` and resolves with its message. */
function nextDialog(accept) {
  return new Promise((resolve) => page.once('dialog', async (dialog) => {
    const message = dialog.message();
    await (accept ? dialog.accept() : dialog.dismiss());
    resolve(message);
  }));
}

/** The status of an overlay key's ticket request. */
async function overlayTicketStatus(url) {
  const key = new URLSearchParams(new URL(url).hash.slice(1)).get('key');
  const response = await fetch(`http://127.0.0.1:${port}/api/overlay/ticket`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key }),
  });
  return response.status;
}

test('the OBS overlay: queued alerts once each, chosen types and minimum only, resumed after a reload, dead once revoked and transparent on stream', async () => {
  const url = new URL(await newOverlayUrl('777'));
  assert.equal(url.pathname, '/overlay.html');
  const overlay = await context.newPage();
  const shown = [];
  await overlay.exposeFunction('seen', (id) => shown.push(id));
  await overlay.goto(`${url.href}&types=channel.cheer&min_bits=150&duration=0.2`);
  await overlay.waitForFunction(() => document.body.dataset.state === 'live');
  await overlay.evaluate(() => new MutationObserver(() => {
    const box = document.getElementById('alert');
    if (!box.hidden) window.seen(box.dataset.id);
  }).observe(document.getElementById('alert'), { attributes: true, attributeFilter: ['hidden'] }));
  // 100, 200 and 300 bits, and a follow: only the two big cheers alert.
  const cheers = await trigger('channel.cheer', 3, '777');
  await trigger('channel.follow', 1, '777');
  await overlay.waitForFunction(() => (window.overlayShown ?? 0) >= 2);
  await new Promise((resolve) => setTimeout(resolve, 800));
  assert.deepEqual(shown, [cheers[1], cheers[2]], 'oldest first, once each');
  assert.equal(await overlay.textContent('#alert-title'), 'Cheer!', "titled with the server's label");
  // Reloaded (as OBS does): nothing shown again; a new one still comes.
  await overlay.reload();
  await overlay.waitForFunction(() => document.body.dataset.state === 'live');
  const [later] = await trigger('channel.cheer', 2, '777').then((ids) => [ids[1]]);
  await overlay.waitForFunction(() => (window.overlayShown ?? 0) >= 1);
  await new Promise((resolve) => setTimeout(resolve, 800));
  assert.equal(await overlay.evaluate(() => window.overlayShown), 1);
  assert.equal(await overlay.getAttribute('#alert', 'data-id'), later);
  // Revoked: the overlay cannot get a ticket any more.
  const asked = nextDialog(true);
  await page.click('#revoke-overlay');
  assert.match(await asked, /stops working/);
  await page.waitForSelector('#overlay-box', { state: 'hidden' });
  await overlay.reload();
  await overlay.waitForSelector('#overlay-error:visible');
  assert.match(await overlay.textContent('#overlay-error'), /revoked/);
  // On stream (OBS's browser source defines window.obsstudio): nothing
  // shows, not even why; the reason is only for whoever opens it in a tab.
  const onStream = await context.newPage();
  await onStream.addInitScript(() => { window.obsstudio = { pluginVersion: '31.0.0' }; });
  await onStream.goto(overlay.url());
  await onStream.waitForFunction(() => document.body.dataset.problem);
  assert.match(await onStream.evaluate(() => document.body.dataset.problem), /revoked/);
  const visible = await onStream.evaluate(() => [...document.body.querySelectorAll('*')]
    .filter((el) => el.checkVisibility()).map((el) => el.id || el.tagName));
  assert.deepEqual(visible, [], 'nothing visible on stream');
  await onStream.close();
  await overlay.close();
});

test('the overlay resumes from the server, not browser storage: a fresh context neither replays nor loses alerts', async () => {
  const url = `${await newOverlayUrl('777')}&types=channel.cheer&min_bits=150&duration=1`;
  const browser = await chromium.launch({ executablePath: browserPath, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  /** A browser source with no storage of its own: a new context each time. */
  const open = async () => {
    const source = await browser.newContext();
    const overlay = await source.newPage();
    const shown = [];
    await overlay.exposeFunction('seen', (id) => shown.push(id));
    await overlay.addInitScript(() => document.addEventListener('DOMContentLoaded', () => {
      const box = document.getElementById('alert');
      new MutationObserver(() => { if (!box.hidden) window.seen(box.dataset.id); })
        .observe(box, { attributes: true, attributeFilter: ['hidden'] });
    }));
    await overlay.goto(url);
    await overlay.waitForFunction(() => document.body.dataset.state === 'live');
    return { source, overlay, shown };
  };
  try {
    const first = await open();
    const cheers = await trigger('channel.cheer', 3, '777'); // 100, 200, 300 bits
    await first.overlay.waitForFunction(() => (window.overlayReported ?? 0) >= 2);
    assert.deepEqual(first.shown, [cheers[1], cheers[2]]);
    assert.equal(await first.overlay.evaluate(() => localStorage.length + sessionStorage.length), 0, 'no browser storage used');
    await first.source.close();

    // While closed: two more big cheers, then enough other events to push
    // them out of the socket's backlog (10): only the read API still has them.
    const missed = await trigger('channel.cheer', 3, '777');
    await trigger('channel.follow', 12, '777');

    const second = await open();
    await second.overlay.waitForFunction(() => (window.overlayShown ?? 0) >= 2);
    await second.overlay.waitForFunction(() => document.getElementById('alert').hidden && window.streamerEventsOverlay.queue.length === 0);
    assert.deepEqual(second.shown, [missed[1], missed[2]], 'the missed ones, in order, and nothing shown before');
    await second.source.close();
  } finally {
    await browser.close();
  }
});

test('the overlay by default alerts a follow and skips a title change; types may be named by the feed categories', async () => {
  const url = await freshOverlayUrl('777');
  const overlay = await context.newPage();
  const shown = [];
  await overlay.exposeFunction('seen', (id) => shown.push(id));
  await overlay.addInitScript(() => document.addEventListener('DOMContentLoaded', () => {
    const box = document.getElementById('alert');
    new MutationObserver(() => { if (!box.hidden) window.seen(box.dataset.id); })
      .observe(box, { attributes: true, attributeFilter: ['hidden'] });
  }));
  await overlay.goto(`${url}&duration=0.2`);
  await overlay.waitForFunction(() => document.body.dataset.state === 'live');
  // Oldest first: were the title change wanted, it would be shown first.
  await trigger('channel.update', 1, '777');
  const [follow] = await trigger('channel.follow', 1, '777');
  await overlay.waitForFunction(() => (window.overlayShown ?? 0) >= 1);
  assert.equal(shown[0], follow);
  assert.equal(await overlay.textContent('#alert-title'), 'New follower!');
  // `types=cheers` (a category): a follow is skipped, a cheer shown.
  await overlay.goto('about:blank');
  shown.length = 0;
  await overlay.goto(`${url}&types=cheers&duration=0.2`);
  await overlay.waitForFunction(() => document.body.dataset.state === 'live');
  await trigger('channel.follow', 1, '777');
  const [cheer] = await trigger('channel.cheer', 1, '777');
  await overlay.waitForFunction(() => (window.overlayShown ?? 0) >= 1);
  assert.equal(shown[0], cheer);
  await overlay.close();
});

/** Opens `url` as an OBS browser source would; `shown` collects each alert's id as it appears. */
async function openOverlay(url, shown) {
  const overlay = await context.newPage();
  await overlay.exposeFunction('seen', (id) => shown.push(id));
  await overlay.addInitScript(() => document.addEventListener('DOMContentLoaded', () => {
    const box = document.getElementById('alert');
    new MutationObserver(() => { if (!box.hidden) window.seen(box.dataset.id); })
      .observe(box, { attributes: true, attributeFilter: ['hidden'] });
  }));
  await overlay.goto(url);
  await overlay.waitForFunction(() => document.body.dataset.state === 'live' && window.overlaySettings);
  return overlay;
}

test('overlay settings from the page reach the open overlay without a new URL; a test alert, pause, resume, skip and replay work from the page', async () => {
  const url = await freshOverlayUrl('777');
  const shown = [];
  const overlay = await openOverlay(url, shown);
  const before = await overlay.evaluate(() => window.overlaySounds ?? 0);

  // Only cheers of 150 bits or more, 2 s each, at the bottom, sound at 25.
  await page.click('#overlay-settings-box summary');
  await page.waitForSelector('#overlay-types input[value="channel.cheer"]');
  for (const box of await page.$$('#overlay-types input:checked')) await box.uncheck();
  await page.check('#overlay-types input[value="channel.cheer"]');
  await page.fill('#overlay-settings input[name="min_bits"]', '150');
  await page.fill('#overlay-settings input[name="duration_s"]', '2');
  await page.selectOption('#overlay-settings select[name="position"]', 'bottom');
  await page.check('#overlay-settings input[name="sound"]');
  await page.fill('#overlay-settings input[name="volume"]', '25');
  await page.click('#overlay-settings button[type="submit"]');
  await page.waitForFunction(() => /changed at once/.test(document.getElementById('overlay-settings-note').textContent));
  await overlay.waitForFunction(() => document.body.dataset.position === 'bottom');
  assert.equal(await page.inputValue('#overlay-url'), url, 'the URL in OBS stays the same');
  const settings = await overlay.evaluate(() => window.overlaySettings);
  assert.deepEqual(settings.types, ['channel.cheer']);
  // The panel as a streamer sees it: phone and desktop, light and dark, axe-clean.
  const dir = join(root, 'target', 'screenshots');
  await mkdir(dir, { recursive: true });
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const width of [375, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${width}px: ${overflow}px too wide: ${await tooWide()}`);
      await page.locator('#overlay-box').screenshot({ path: join(dir, `overlay-settings-${width}-${scheme}.png`) });
    }
    const { violations } = await new AxeBuilder({ page }).include('#overlay-box').analyze();
    assert.deepEqual(violations.map((v) => v.id), [], `the overlay box, ${scheme}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  assert.equal(settings.volume, 25);

  // A follow and a 100-bit cheer no longer alert; 200 and 300 bits do.
  await trigger('channel.follow', 1, '777');
  const cheers = await trigger('channel.cheer', 3, '777');
  await overlay.waitForFunction(() => (window.overlayShown ?? 0) >= 2);
  assert.deepEqual(shown, [cheers[1], cheers[2]]);
  assert.ok(await overlay.evaluate((b) => (window.overlaySounds ?? 0) > b, before), 'the chime played');
  const alertBox = await overlay.evaluate(() => {
    const r = document.getElementById('alert').getBoundingClientRect();
    return { bottom: r.bottom, height: window.innerHeight };
  });
  assert.ok(alertBox.bottom > alertBox.height / 2, `shown at the bottom: ${JSON.stringify(alertBox)}`);
  await overlay.waitForFunction(() => document.getElementById('alert').hidden);

  // Send test alert: shown at once, titled in words, never reported as shown.
  const reported = await overlay.evaluate(() => window.overlayReported ?? 0);
  await page.selectOption('#overlay-test-type', 'channel.cheer');
  await page.click('#overlay-test');
  await overlay.waitForFunction(() => document.getElementById('alert').dataset.kind === 'test' && !document.getElementById('alert').hidden);
  assert.equal(await overlay.textContent('#alert-title'), 'Cheer!');
  assert.match(await overlay.textContent('#alert-text'), /cheered/);
  // On a green screen, as a chroma-keyed scene would show it.
  await overlay.setViewportSize({ width: 1280, height: 720 });
  await overlay.evaluate(() => { document.documentElement.style.background = '#00b140'; });
  await overlay.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished)));
  await overlay.screenshot({ path: join(dir, 'overlay-alert-green.png') });
  await overlay.evaluate(() => { document.documentElement.style.background = ''; });
  assert.match(await page.textContent('#overlay-settings-note'), /Test alert sent/);
  await overlay.waitForFunction(() => document.getElementById('alert').hidden);
  assert.equal(await overlay.evaluate(() => window.overlayReported ?? 0), reported);

  // Pause: a new cheer waits; Resume: it plays.
  await page.click('#overlay-pause');
  await overlay.waitForFunction(() => document.body.dataset.paused === 'true');
  await page.waitForFunction(() => document.getElementById('overlay-pause').textContent === 'Resume alerts');
  const [, held] = await trigger('channel.cheer', 2, '777');
  await overlay.waitForFunction(() => window.streamerEventsOverlay.queue.length === 1);
  assert.ok(await overlay.evaluate(() => document.getElementById('alert').hidden), 'nothing shows while paused');
  await page.click('#overlay-pause');
  await overlay.waitForFunction((id) => document.getElementById('alert').dataset.id === id && !document.getElementById('alert').hidden, held);

  // Skip ends it at once; Replay shows it again.
  await page.click('#overlay-skip');
  await overlay.waitForFunction(() => document.getElementById('alert').hidden);
  await page.click('#overlay-replay');
  await overlay.waitForFunction((id) => {
    const box = document.getElementById('alert');
    return !box.hidden && box.dataset.id === id && box.dataset.kind === 'replay';
  }, held);

  // Back to the defaults for the tests after this one.
  const reset = await page.evaluate(async () => (await fetch('api/me/favourites/user777/overlay/settings', {
    method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}',
  })).status);
  assert.equal(reset, 200);
  await overlay.waitForFunction(() => window.overlaySettings.types.includes('channel.follow'));
  await overlay.close();
});

test('the recent-events dock lists the channel\'s last events in words, newest first, and live ones as they come; test alerts stay out', async () => {
  const overlayUrl = await newOverlayUrl('777');
  const dockUrl = await page.inputValue('#dock-url');
  assert.equal(dockUrl, overlayUrl.replace('/overlay.html#', '/dock.html#'));
  const dock = await context.newPage();
  await dock.setViewportSize({ width: 320, height: 600 });
  await dock.goto(dockUrl);
  await dock.waitForFunction(() => document.body.dataset.state === 'live' && document.querySelectorAll('#dock-feed li').length > 0);
  const [follow] = await trigger('channel.follow', 1, '777');
  await dock.waitForFunction((id) => document.querySelector('#dock-feed li')?.dataset.id === id, follow);
  assert.equal(await dock.textContent('#dock-feed li:first-child .type'), 'New follower');
  await page.click('#overlay-test');
  await page.waitForFunction(() => /Test alert sent|No overlay is open/.test(document.getElementById('overlay-settings-note').textContent));
  const [next] = await trigger('channel.follow', 1, '777');
  await dock.waitForFunction((id) => document.querySelector('#dock-feed li')?.dataset.id === id, next);
  const ids = await dock.$$eval('#dock-feed li', (items) => items.map((li) => li.dataset.id));
  assert.ok(!ids.some((id) => id.startsWith('test-')), `no test alert in the dock: ${ids}`);
  assert.ok(ids.indexOf(next) < ids.indexOf(follow), 'newest first');
  const wide = await dock.evaluate(() => [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5).length);
  assert.equal(wide, 0, 'nothing wider than a narrow dock');
  await dock.close();
});

test('the overlay URL is the same on every visit; Reset URL asks first and only then replaces it; Copy copies it', async () => {
  const first = await newOverlayUrl('777');
  await page.reload();
  await page.waitForSelector('#logged-in:visible');
  assert.equal(await newOverlayUrl('777'), first, 'the same URL after a reload');
  assert.equal(await overlayTicketStatus(first), 200);
  // Reset, declined: nothing changes.
  const declined = nextDialog(false);
  await page.click('#reset-overlay');
  assert.match(await declined, /stops working until you paste the new one/);
  assert.equal(await page.inputValue('#overlay-url'), first);
  assert.equal(await overlayTicketStatus(first), 200, 'still working');
  // Reset, confirmed: a new URL, and the old one is dead.
  const confirmed = nextDialog(true);
  await page.click('#reset-overlay');
  await confirmed;
  await page.waitForFunction((old) => document.getElementById('overlay-url').value !== old, first);
  const second = await page.inputValue('#overlay-url');
  assert.notEqual(second, first);
  assert.equal(await overlayTicketStatus(first), 401);
  assert.equal(await overlayTicketStatus(second), 200);
  assert.equal(await page.textContent('#overlay-note'), 'New URL made: paste it into OBS.');
  // Copy: the URL on the clipboard.
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: `http://127.0.0.1:${port}` });
  await page.click('#copy-overlay');
  await page.waitForFunction(() => document.getElementById('overlay-note').textContent === 'Copied.');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), second);
});

test('the page says what arrives from the streamer watched and what waits for the broadcaster, with the way to allow it', async () => {
  await page.fill('#broadcaster', 'user777');
  await page.click('#picker button');
  await page.waitForFunction(() => !document.getElementById('arriving').hidden
    && document.getElementById('arriving').textContent.includes('user777'));
  const text = await page.textContent('#arriving');
  assert.match(text, /What arrives from user777/);
  // Raids and going live need nobody's permission (here Twitch, simulated,
  // is still checking the callback until the next sweep reads them back);
  // follows and subs need the broadcaster's.
  assert.match(text, /(Arriving live|Starting \(Twitch is checking this site's address\)): [^.]*Raids[^.]*Stream and channel/);
  assert.match(text, /Waiting for user777 to let Streamer Events read them: [^.]*Follows[^.]*Subs and gifts/);
  const allow = await page.getAttribute('#arriving a.allow', 'href');
  assert.match(allow, /^\/auth\/login\?return_to=.*&channel=1$/);
});

test('after "let Streamer Events read your channel", the page watches that channel and confirms what it now receives', async () => {
  await page.click('#arriving a.allow');
  await page.waitForSelector('#authorize');
  await page.click('#authorize');
  await page.waitForSelector('#logged-in:visible');
  assert.equal(new URL(page.url()).search, '', 'the marker is not left in the address');
  await page.waitForFunction(() => /Thanks, user1337/.test(document.getElementById('arriving').textContent));
  assert.equal(await page.inputValue('#broadcaster'), 'user1337');
  const text = await page.textContent('#arriving');
  assert.match(text, /Streamer Events can now read your channel's events/);
  // Follows and subs no longer wait for anyone's permission.
  assert.doesNotMatch(text, /Waiting for user1337/);
  assert.match(text, /(Arriving live|Starting \(Twitch is checking this site's address\)): [^.]*Follows/);
});

test('no wire name anywhere on the page once every kind of event has arrived', async () => {
  const streamer = '880088';
  const types = (await (await fetch(`http://127.0.0.1:${port}/api/event-types`)).json()).types
    .map((t) => t.type)
    // The app's own grant and revoke are about users, never a streamer's feed.
    .filter((t) => !t.startsWith('user.authorization.'));
  for (const type of types) await trigger(type, 1, streamer);
  await page.fill('#broadcaster', streamer);
  await page.click('#picker button');
  // The backlog is the newest few: page back until every kind is on screen.
  await page.waitForSelector('#feed > li[data-id]');
  while (await page.isVisible('#older')) {
    const before = (await feedIds()).length;
    await page.click('#older');
    await page.waitForFunction((n) => document.querySelectorAll('#feed > li[data-id]').length > n || document.querySelector('#older').hidden, before);
  }
  const shown = await page.$$eval('#feed > li[data-type]', (items) => new Set(items.map((li) => li.dataset.type)).size);
  assert.equal(shown, types.length, 'every kind is on screen');
  const all = (await (await fetch(`http://127.0.0.1:${port}/api/event-types`)).json()).types.map((t) => t.type);
  // Every full name, its dotted prefixes, and every segment only the wire uses (hype_train).
  const words = new Set(all.flatMap((t) => [t, ...t.split('.').filter((seg) => seg.includes('_'))]));
  const found = await page.evaluate((words) => {
    const hits = [];
    const seen = (where, text) => {
      const lower = text.toLowerCase();
      for (const w of words) if (lower.includes(w)) hits.push(`${where}: ${w} in "${text.trim().slice(0, 80)}"`);
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (el && el.closest('[hidden]') === null && getComputedStyle(el).display !== 'none') seen(el.tagName.toLowerCase(), node.textContent);
    }
    for (const el of document.querySelectorAll('[aria-label], [alt]')) {
      seen('aria-label', el.getAttribute('aria-label') ?? '');
      seen('alt', el.getAttribute('alt') ?? '');
    }
    // Titles of controls (a tooltip on a row's kind may keep the wire name).
    for (const el of document.querySelectorAll('button[title], a[title], input[title], label[title]')) seen('title', el.title);
    return hits;
  }, [...words]);
  assert.deepEqual(found, []);
});

test('an empty feed offers nothing to mark as read or page back to', async () => {
  // A favourite with no events at all.
  await page.fill('#favourite', 'user990099');
  await page.click('#add-favourite button');
  await page.waitForSelector('#favourites li[data-id="990099"]');
  await page.waitForFunction(() => window.streamerEvents.connection.subscribed === '990099');
  await page.waitForSelector('#empty:visible');
  assert.deepEqual(await feedIds(), []);
  assert.equal(await page.isHidden('#mark-read'), true, 'no "Mark as read"');
  assert.equal(await page.isHidden('#older'), true, 'no "Show older events"');
  // The first event: both as they should be for a favourite with one event.
  const [first] = await trigger('channel.follow', 1, '990099');
  await page.waitForSelector(`#feed li[data-id="${first}"]`);
  await page.waitForSelector('#mark-read:visible');
  assert.equal(await page.isHidden('#empty'), true);
});

/** Sums the page's layout shifts not caused by input, from the start of each load. */
function countShifts() {
  window.layoutShift = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.layoutShift += entry.value;
  }).observe({ type: 'layout-shift', buffered: true });
}

/**
 * Loads `/#streamer` in `tab` at `width`×800 and waits until everything the
 * load brings is on screen (the account area, the feed, the charts, the
 * exports); returns the first event row's box and the layout shift summed.
 */
async function firstScreen(tab, width, streamer, { loggedIn }) {
  await tab.setViewportSize({ width, height: 800 });
  await tab.goto('about:blank');
  await tab.goto(`http://127.0.0.1:${port}/#${streamer}`);
  await tab.waitForSelector(loggedIn ? '#favourites li[data-id]' : '#pitch:visible');
  await tab.waitForSelector('#feed > li[data-id]');
  await tab.waitForSelector('#per-day .bar', { state: 'attached' });
  await tab.waitForSelector('#exports:visible');
  // Two frames, so the last shift (if any) has been reported.
  await tab.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  return tab.evaluate(() => {
    const row = document.querySelector('#feed > li[data-id]').getBoundingClientRect();
    return { top: Math.round(row.top + scrollY), bottom: Math.round(row.bottom + scrollY), shift: Number(window.layoutShift.toFixed(3)) };
  });
}

test('the live feed is in the first screen at 1280×800 and 375×800, and a load shifts nothing that was shown', async (t) => {
  // 777 has events, and is a favourite of the user logged in.
  const dir = join(root, 'target', 'screenshots');
  await mkdir(dir, { recursive: true });
  await page.addInitScript(countShifts);
  const seen = {};
  for (const width of [1280, 375]) {
    seen[`logged in ${width}`] = await firstScreen(page, width, '777', { loggedIn: true });
    await page.screenshot({ path: join(dir, `first-screen-${width}.png`) });
  }
  // At 375 px: the 24 h axis labels apart, and every filter box big enough to tap.
  const overlaps = await page.evaluate(() => {
    const boxes = [...document.querySelectorAll('#viewers text.label')].map((t) => t.getBoundingClientRect())
      .filter((b) => b.width > 0).sort((a, b) => a.left - b.left);
    return boxes.filter((b, i) => i > 0 && b.left < boxes[i - 1].right && b.top < boxes[i - 1].bottom && boxes[i - 1].top < b.bottom).length;
  });
  assert.equal(overlaps, 0, 'axis labels overlap at 375 px');
  const small = await page.$$eval('#filters input', (boxes) => boxes.map((b) => b.getBoundingClientRect())
    .filter((r) => r.width < 24 || r.height < 24).length);
  assert.equal(small, 0, 'filter boxes under 24 x 24 px');
  const { violations } = await new AxeBuilder({ page }).withRules(['target-size']).analyze();
  assert.deepEqual(violations.map((v) => v.nodes.map((n) => n.target.join(' '))).flat(), [], 'targets too small to tap at 375 px');
  // A visitor with no session (no /api/me, the read API polled).
  const browser = await chromium.launch({ executablePath: browserPath, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const visitor = await (await browser.newContext()).newPage();
    await visitor.addInitScript(countShifts);
    for (const width of [1280, 375]) seen[`logged out ${width}`] = await firstScreen(visitor, width, '777', { loggedIn: false });
    // "Log in with Twitch" on one line at 375 px.
    assert.equal(await visitor.$eval('#login', (a) => a.getClientRects().length), 1, 'the login button wraps');
  } finally {
    await browser.close();
  }
  t.diagnostic(`first event row (px from the top) and layout shift: ${JSON.stringify(seen)}`);
  for (const [load, { bottom, shift }] of Object.entries(seen)) {
    assert.ok(bottom <= 800, `${load}: the first event ends ${bottom} px down (${JSON.stringify(seen)})`);
    assert.ok(shift < 0.1, `${load}: layout shift ${shift} (${JSON.stringify(seen)})`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
});

test('no accessibility violations (axe-core) on the main view, logged in, light and dark', async () => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.waitForSelector('#logged-in:visible');
  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    const { violations } = await new AxeBuilder({ page }).analyze();
    const found = violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    assert.deepEqual(found, [], colorScheme);
  }
  await page.emulateMedia({ colorScheme: 'light' });
});

test('the main view at phone and desktop widths (screenshots in target/screenshots)', async () => {
  const dir = join(root, 'target', 'screenshots');
  await mkdir(dir, { recursive: true });
  for (const [width, height] of [[375, 812], [1280, 900]]) {
    await page.setViewportSize({ width, height });
    await page.waitForSelector('#logged-in:visible');
    // Nothing wider than the screen: no sideways scrolling on a phone.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${width}px: ${overflow}px too wide: ${await tooWide()}`);
    await page.screenshot({ path: join(dir, `page-${width}.png`), fullPage: true });
  }
});

/** A request to the simulated Twitch's controls (`GET` for the ledger, `POST` otherwise). */
function control(path, body) {
  return fetch(`http://127.0.0.1:${port}${path}`, {
    method: path.startsWith('/sim/ledger') ? 'GET' : 'POST',
    headers: { 'x-sim-control': '1', 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Asks `check` every 200 ms until it holds (the condition is on the server, not the page). */
async function until(what, check, timeoutMs = 30_000) {
  for (const deadline = Date.now() + timeoutMs; !(await check());) {
    assert.ok(Date.now() < deadline, `waited ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('a Twitch outage past its retry window shows in the feed as a gap, in words, at its place in time', async () => {
  const base = `http://127.0.0.1:${port}`;
  // 777's raids arrive (they need nobody's permission): one delivered through the simulator.
  await until('a raid delivered through the simulator',
    async () => (await control('/sim/deliver?type=channel.raid&broadcaster=777')).status === 200);
  const down = await control('/sim/outage', { seconds: 8 });
  assert.equal(down.status, 200, await down.text());
  const started = Date.now();
  // Three raids while this site cannot be reached: each fails every retry,
  // and Twitch (simulated) revokes the subscription for failed deliveries.
  for (let i = 0; i < 3; i += 1) {
    const raid = await control('/sim/deliver?type=channel.raid&broadcaster=777');
    assert.notEqual(raid.status, 200, 'delivered during the outage?');
  }
  // The revocation reaches the webhook once the site is back: a gap opens.
  await until('the raids\' gap', async () => (await (await fetch(`${base}/api/streamers/777/coverage`)).json())
    .gaps.some((g) => g.type === 'channel.raid'), 60_000);
  await page.goto('about:blank');
  await page.goto(`${base}/#user777`);
  await page.waitForSelector('#feed li.gap');
  const lines = await page.$$eval('#feed li.gap', (items) => items.map((li) => li.textContent));
  assert.ok(lines.some((line) => /^([\w ,]*, )?Raids(, [\w ,]*)? may be missing (since|from) .+: Twitch stopped sending them after deliveries to this site failed\./.test(line)), lines.join('\n'));
  // Drawn where it ends: nothing older above it.
  const order = await page.$$eval('#feed > li', (items) => items.map((li) => Number(li.dataset.receivedAt)));
  assert.deepEqual(order, [...order].sort((a, b) => b - a), 'newest first, the gap in its place');
  const { gaps } = await (await fetch(`${base}/api/streamers/777/coverage`)).json();
  const raid = gaps.find((g) => g.type === 'channel.raid');
  assert.equal(raid.cause, 'notification_failures_exceeded');
  assert.ok(raid.from_ms <= started, 'the gap starts no later than the outage');
  // The events-per-day chart marks today and says which counts may be short.
  const today = new Date().toISOString().slice(0, 10);
  await page.waitForSelector(`#per-day .bar.gap[data-day="${today}"]`, { state: 'attached' });
  const label = await page.getAttribute(`#per-day .bar[data-day="${today}"]`, 'aria-label');
  assert.match(label, /\. ([\w ,]*, )?Raids(, [\w ,]*)? may be missing: this site was not receiving them for part of the day$/);
  const said = await page.$$eval('#per-day-gaps li', (items) => items.map((li) => li.textContent));
  assert.equal(said.length, 1, said.join('\n'));
  assert.match(said[0], /^.+: ([\w ,]*, )?Raids(, [\w ,]*)? may be missing: this site was not receiving them for part of the day\.$/);
});

test('follows Twitch could not deliver in an outage come back from Helix: in the feed at their times, marked, and not alerted by a default overlay', async () => {
  const base = `http://127.0.0.1:${port}`;
  // user1337 let Streamer Events read the channel (an earlier test): its
  // grant is what Get Channel Followers is read with. Its overlay, with the
  // default settings, is open in OBS and has shown a live follow.
  await page.goto(`${base}/`);
  await page.waitForSelector('#logged-in:visible');
  if (!(await page.$('#favourites li[data-id="1337"]'))) {
    await page.fill('#favourite', 'user1337');
    await page.click('#add-favourite button');
    await page.waitForSelector('#favourites li[data-id="1337"]');
  }
  const shown = [];
  const overlay = await openOverlay(await freshOverlayUrl('1337'), shown);
  assert.equal((await overlay.evaluate(() => window.overlaySettings)).alert_recovered, false);
  await until('a follow delivered live', async () => (await control('/sim/deliver?type=channel.follow&broadcaster=1337')).status === 200);
  await overlay.waitForFunction(() => (window.overlayShown ?? 0) >= 1);

  // Three follows while the site cannot be reached: Twitch (simulated)
  // gives up on them and revokes the subscription.
  const down = await control('/sim/outage', { seconds: 8 });
  assert.equal(down.status, 200, await down.text());
  for (let i = 0; i < 3; i += 1) {
    assert.notEqual((await control('/sim/deliver?type=channel.follow&broadcaster=1337')).status, 200);
  }
  const ledger = (await (await control('/sim/ledger?broadcaster=1337')).json()).data;
  const missed = ledger.filter((e) => e.type === 'channel.follow' && !e.delivered);
  assert.ok(missed.length >= 3, JSON.stringify(missed));

  // Once the replacement is enabled the gap ends and recovery reads them back.
  const coverage = async () => (await (await fetch(`${base}/api/streamers/1337/coverage`)).json()).gaps
    .find((g) => g.type === 'channel.follow' && g.state === 'closed' && g.recovered.exact >= missed.length);
  await until('the follows\' gap closed with what it recovered', async () => Boolean(await coverage()), 90_000);
  const { events } = await (await fetch(`${base}/api/streamers/1337/events?limit=100`)).json();
  const recovered = events.filter((e) => e.recovered === true && e.type === 'channel.follow');
  // Each missed follow once, at the time the ledger says, with its source.
  const byUser = new Map(recovered.map((e) => [e.event.user_id, e]));
  for (const m of missed) {
    const e = byUser.get(m.event.user_id);
    assert.ok(e, `follow by ${m.event.user_id} recovered: ${JSON.stringify(recovered)}`);
    assert.equal(e.received_at_ms, Date.parse(m.happened_at));
    assert.equal(e.time_exact, true);
    assert.equal(e.source, 'Get Channel Followers');
  }
  assert.equal(recovered.length, byUser.size, 'none twice');

  // The feed shows them in their place, marked in words.
  await page.click('#favourites li[data-id="1337"] .watch');
  await page.waitForFunction((n) => document.querySelectorAll('#feed li[data-recovered="exact"]').length >= n, missed.length);
  const marked = await page.$$eval('#feed li[data-recovered]', (items) => items.map((li) => li.textContent));
  for (const line of marked) assert.match(line, /found after an outage/);
  const dir = join(root, 'target', 'screenshots');
  await mkdir(dir, { recursive: true });
  await page.locator('#feed').screenshot({ path: join(dir, 'feed-recovered.png') });

  // A follow after the outage alerts; the recovered ones never did.
  const [after] = await trigger('channel.follow', 1, '1337');
  await until('the follow after the outage shown', async () => shown.includes(after));
  const alerted = recovered.filter((e) => shown.includes(e.id));
  assert.deepEqual(alerted, [], 'recovered follows alerted by an overlay that did not ask');
  await overlay.close();
});

test('log out: logged out, and no socket opens with an old ticket', async () => {
  await page.waitForSelector('#status[data-state="live"]');
  const used = await page.evaluate(() => window.streamerEvents.connection.lastUrl);
  assert.match(used, /ticket=/);
  phase = 'logged-out';
  assert.ok((await feedIds()).length > 0, 'the feed had events before logging out');
  await page.click('#logout');
  await page.waitForSelector('#login:visible');
  assert.equal(await page.isHidden('#favourites-section'), true);
  // Nothing of the session stays on screen.
  assert.deepEqual(await feedIds(), []);
  assert.equal(await page.isHidden('#insights'), true);
  assert.equal(await page.isHidden('#exports'), true);
  assert.equal(await page.textContent('#watching'), '');
  const after = await page.evaluate(async (url) => {
    const ticket = (await fetch('/api/ws-ticket', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}',
    })).status;
    const reopened = await new Promise((resolve) => {
      const socket = new WebSocket(url);
      socket.onopen = () => { socket.close(); resolve('opened'); };
      socket.onerror = () => resolve('refused');
    });
    return { ticket, reopened };
  }, used);
  assert.deepEqual(after, { ticket: 401, reopened: 'refused' });
  // Refused for the ticket, not for any other reason: the handshake is a 401.
  assert.equal(await upgradeStatus(used), 401);
  await page.reload();
  await page.waitForSelector('#login:visible');
  phase = 'steady';
});

test('no script errors on the page', () => {
  // Refused connections while the server was down are expected, and the
  // 401s of a logged-out visitor's ticket request and reused ticket; each
  // only then, nothing else ever.
  const expected = {
    restart: /ERR_CONNECTION_REFUSED|WebSocket connection to .* failed/,
    // Chromium words a 401 to a WebSocket handshake as an authentication failure.
    'logged-out': /status of 401|WebSocket connection to .* failed: HTTP Authentication failed/,
  };
  const unexpected = pageErrors.filter(({ phase: p, text }) => !expected[p]?.test(text));
  assert.deepEqual(unexpected, []);
});
