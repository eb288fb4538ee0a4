// The alert overlay, for an OBS browser source:
//   overlay.html#key=<overlay key>&types=cheers,raids&min_bits=100&duration=6
// (`types`: the feed's categories, or EventSub types; without it, what a
// streamer calls an alert: follows, subs, cheers, raids, redemptions and the
// start and end of hype trains, a gift bomb as one alert).
// The key (in the fragment: never sent to a server in a URL, never in a
// Referer) buys read-only tickets for one streamer. Each new event of the
// chosen types shows as an alert, one at a time, queued, never twice.
//
// Where to resume is kept by the server, per key, not in this browser
// source (some keep no storage): every ticket's answer says after which
// event to resume, and each alert shown is reported back (`/api/overlay/
// shown`), which only ever moves that position forward. So a reload, a
// dropped connection or a second overlay with the same key neither replays
// an alert nor loses one: on connecting, the events after the position
// come from the read API, the live ones from the socket.

import { LiveConnection } from './live.js';
import { frameOf } from './feed.js';
import { labelOf, loadLabels } from './labels.js';
import { categoryOf } from './filters.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.hash.slice(1));
const key = params.get('key') ?? '';
const types = new Set((params.get('types') ?? '').split(',').filter(Boolean));
const minBits = Number(params.get('min_bits') ?? 0);
const durationMs = Math.max(1, Number(params.get('duration') ?? 6)) * 1000;
/** Read-API pages (100 events each) read back for what came while closed, at most. */
const CATCH_UP_PAGES = 5;
/** Tries to report a shown alert before leaving it to the next one's report. */
const REPORT_TRIES = 4;

/**
 * After which event to alert, as the server said with the last ticket: the
 * last alert this key showed, or where its alerts start (`{at, id}`; `id`
 * null: a point in time). Alerts shown since are known by id (`queued`).
 */
let resume = null;
/** Alerts wait while the events missed while closed are read, so they play in order. */
let catchingUp = false;

/** Whether `frame` arrived after position `pos` (arrival time, then message id). */
function isAfter(frame, pos) {
  if (!pos) return false; // nothing is known yet: wait for the server's word
  if (frame.received_at !== pos.at) return frame.received_at > pos.at;
  return pos.id === null || frame.id > pos.id;
}

/** Moves `resume` to `pos` when that is further on (never back). */
function advance(pos) {
  if (!resume || isAfter({ received_at: pos.at, id: pos.id ?? '' }, resume)) resume = pos;
}

const fromServer = (r) => ({ at: r.received_at_ms, id: r.id ?? null });

/** Tells the server this alert was shown: the key's position moves past it. */
async function report(frame, tries = REPORT_TRIES) {
  try {
    const response = await fetch('api/overlay/shown', {
      method: 'POST',
      cache: 'no-store',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key, cursor: frame.cursor }),
    });
    if (response.ok) window.overlayReported = (window.overlayReported ?? 0) + 1;
    if (response.status < 500) return; // kept, or refused (revoked): retrying cannot help
  } catch {
    // Offline for a moment: try again below.
  }
  if (tries > 1) setTimeout(() => report(frame, tries - 1), 1000 * (REPORT_TRIES - tries + 1));
}

/** What alerts when the URL names no types: what a streamer calls an alert. */
const DEFAULT_CATEGORIES = new Set(['follows', 'subs', 'cheers', 'raids', 'redemptions']);
const DEFAULT_TYPES = new Set(['channel.hype_train.begin', 'channel.hype_train.end']);

/** Whether `frame` is one of the alerts this overlay was asked for. */
export function wanted(frame) {
  if (frame.type !== 'event') return false;
  const type = frame.event_type;
  const category = categoryOf(type);
  if (types.size > 0) {
    if (!types.has(type) && !types.has(category)) return false;
  } else if (!DEFAULT_CATEGORIES.has(category) && !DEFAULT_TYPES.has(type)) {
    return false;
  }
  // A gift bomb is one alert: the gift, not each recipient's subscribe.
  if (type === 'channel.subscribe' && frame.event?.is_gift === true) return false;
  if (frame.event_type === 'channel.cheer' && (frame.event?.bits ?? 0) < minBits) return false;
  return true;
}

const queue = [];
const queued = new Set();
let showing = false;

function enqueue(frame) {
  // Shown before (here, by another overlay with this key, or before a
  // reload), queued already, or not asked for: not again.
  if (queued.has(frame.id) || !isAfter(frame, resume) || !wanted(frame)) return;
  queued.add(frame.id);
  queue.push(frame);
  queue.sort((a, b) => a.received_at - b.received_at || (a.id < b.id ? -1 : 1));
  if (!showing && !catchingUp) next();
}

/** The events after `resume` that the socket's short backlog may not hold, oldest first. */
async function catchUp(broadcaster) {
  const base = `api/streamers/${encodeURIComponent(broadcaster)}/events?limit=100`;
  const missed = [];
  let cursor = null;
  for (let page = 0; page < CATCH_UP_PAGES; page += 1) {
    const response = await fetch(cursor ? `${base}&cursor=${encodeURIComponent(cursor)}` : base, { cache: 'no-store' });
    if (!response.ok) return;
    const body = await response.json();
    const frames = body.events.map((e) => frameOf(broadcaster, e));
    missed.push(...frames.filter((f) => isAfter(f, resume)));
    if (!body.next || frames.some((f) => !isAfter(f, resume))) break;
    cursor = body.next;
  }
  for (const frame of missed.reverse()) enqueue(frame);
}

/** Reads what was missed, then lets the queue play. */
async function resumeAfterConnect(broadcaster) {
  catchingUp = true;
  try {
    await catchUp(broadcaster);
  } catch {
    // The socket's backlog still brings the latest ones.
  } finally {
    catchingUp = false;
    if (!showing) next();
  }
}

function next() {
  const frame = queue.shift();
  const box = $('alert');
  if (!frame) {
    showing = false;
    box.hidden = true;
    return;
  }
  showing = true;
  $('alert-title').textContent = titleOf(frame);
  $('alert-text').textContent = frame.summary?.text ?? frame.event_type;
  box.dataset.id = frame.id;
  box.hidden = false;
  report(frame);
  window.overlayShown = (window.overlayShown ?? 0) + 1;
  setTimeout(() => {
    box.hidden = true;
    // A beat between two alerts, so they read as two.
    setTimeout(next, 300);
  }, durationMs);
}

/**
 * Says what is wrong, but never on stream: inside OBS (its browser source
 * defines `window.obsstudio`) the overlay stays transparent, so viewers see
 * no error banner; opened in a browser tab, the streamer reads why.
 */
function problem(text) {
  document.body.dataset.problem = text;
  console.warn(`overlay: ${text}`);
  if (window.obsstudio) return;
  $('overlay-error').textContent = text;
  $('overlay-error').hidden = false;
}

function titleOf(frame) {
  const label = labelOf(frame.event_type);
  return label ? `${label}!` : frame.event_type;
}

async function main() {
  if (!key) {
    problem('This overlay URL has no key; copy it again from Streamer Events.');
    return;
  }
  await loadLabels();
  let broadcaster = null;
  const connection = new LiveConnection({
    config: { websocket_url: null, ticket_url: null },
    onState(state) {
      document.body.dataset.state = state;
    },
    onFrame(frame) {
      if (frame.type === 'subscribed') resumeAfterConnect(frame.broadcaster);
      if (frame.type === 'event') enqueue(frame);
      else if (frame.type === 'error') console.warn(`overlay: ${frame.code}: ${frame.message}`);
    },
  });
  // Tickets come from the overlay key, not a session.
  connection.url = async () => {
    const response = await fetch('api/overlay/ticket', {
      method: 'POST',
      cache: 'no-store',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key }),
    });
    const body = await response.json().catch(() => ({}));
    if (response.status === 401) {
      // Paused (its owner disconnected the app at Twitch) or revoked: say which.
      problem(body.error === 'overlay_suspended'
        ? body.message
        : 'This overlay key was revoked; copy a new URL from Streamer Events.');
      const error = new Error('revoked');
      error.loggedOut = true;
      throw error;
    }
    if (!response.ok) throw new Error(`ticket request failed: HTTP ${response.status}`);
    advance(fromServer(body.resume_after));
    if (!broadcaster) {
      broadcaster = body.broadcaster;
      connection.broadcaster = broadcaster;
    }
    return `${body.websocket_url}?ticket=${encodeURIComponent(body.ticket)}`;
  };
  connection.broadcaster = 'pending';
  connection.connect();
  window.streamerEventsOverlay = { connection, queue };
}

main();
