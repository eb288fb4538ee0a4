// What this deployment receives for the streamer watched, in the feed's
// categories and in words: what arrives, what waits for the broadcaster's
// permission (with the way to give it), a streamer not tracked at all. From
// GET /api/streamers/{id}: each EventSub type's state.

import { CATEGORIES, categoryOf } from './filters.js';

const STARTING = new Set(['waiting_for_verification', 'creating']);
/** While subscriptions are being made: read again this often, this many times. */
const SETTLE_MS = 5000;
const REREADS = 6;

/**
 * The feed's category labels by what happens to them: `arrives` (every
 * type of it is delivered), `waits` (some type needs the broadcaster's
 * permission), `starting`, `unavailable` (refused, failed or revoked).
 */
export function arrivals(types) {
  const states = new Map();
  for (const [type, s] of Object.entries(types ?? {})) {
    const id = categoryOf(type);
    if (!states.has(id)) states.set(id, new Set());
    states.get(id).add(s.state);
  }
  const out = { arrives: [], waits: [], starting: [], unavailable: [] };
  for (const c of CATEGORIES) {
    const seen = states.get(c.id);
    if (!seen) continue;
    const group = seen.has('needs_authorization') ? 'waits'
      : [...seen].some((s) => STARTING.has(s)) ? 'starting'
        : [...seen].every((s) => s === 'enabled') ? 'arrives' : 'unavailable';
    out[group].push(c.label);
  }
  return out;
}

const list = (labels) => labels.join(', ');

/** Fills `box` with what arrives for `streamer` (an id); hides it when that cannot be read. */
export async function showArriving(box, streamer, { loggedIn, allowHref, granted = false, rereads = REREADS }) {
  const asked = streamer;
  box.dataset.for = asked;
  let body;
  try {
    const response = await fetch(`api/streamers/${encodeURIComponent(streamer)}`, { cache: 'no-store' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    body = await response.json();
  } catch {
    if (box.dataset.for === asked) box.hidden = true;
    return;
  }
  // Another streamer was picked while this was read.
  if (box.dataset.for !== asked) return;
  const name = body.login ?? streamer;
  const lines = [];
  const line = (text, extra) => {
    const p = document.createElement('p');
    p.textContent = text;
    if (extra) p.append(' ', extra);
    lines.push(p);
  };
  if (!body.tracked) {
    line(loggedIn
      ? `${name} is not followed live right now: nothing new arrives. Add ${name} as a favourite to follow it.`
      : `${name} is not followed live right now: nothing new arrives; what was stored stays here.`);
  } else {
    const a = arrivals(body.types);
    if (granted) {
      line(a.waits.length
        ? `Thanks, ${name}: Streamer Events can now read part of your channel; what still waits for your permission is below.`
        : `Thanks, ${name}: Streamer Events can now read your channel's events. Below, what arrives from it.`);
    }
    if (a.arrives.length) line(`Arriving live: ${list(a.arrives)}.`);
    if (a.starting.length) line(`Starting (Twitch is checking this site's address): ${list(a.starting)}.`);
    if (a.waits.length) {
      const allow = document.createElement('a');
      allow.href = allowHref;
      allow.className = 'allow';
      allow.textContent = `Are you ${name}? Allow it`;
      line(`Waiting for ${name} to let Streamer Events read them: ${list(a.waits)}.`, allow);
    }
    if (a.unavailable.length) line(`Not available from Twitch: ${list(a.unavailable)}.`);
    if (lines.length === (granted ? 1 : 0)) line(`Being set up: what arrives from ${name} shows here in a moment.`);
    // Subscriptions being made: read again until they settle.
    const settling = a.starting.length > 0 || (!a.arrives.length && !a.waits.length && !a.unavailable.length);
    if (settling && rereads > 0) {
      setTimeout(() => {
        if (box.dataset.for === asked) showArriving(box, streamer, { loggedIn, allowHref, granted, rereads: rereads - 1 });
      }, SETTLE_MS);
    }
  }
  box.querySelector('.lines').replaceChildren(...lines);
  box.querySelector('h2').textContent = `What arrives from ${name}`;
  box.hidden = false;
}
