// The alert overlay, for an OBS browser source: overlay.html#key=<overlay key>
// What alerts, for how long, the sound and the position are the overlay's
// settings, kept on the server (the page's overlay panel changes them): every
// ticket's answer carries them and a change arrives over the socket at once,
// so the URL in OBS never changes. URL parameters still override them for one
// browser source (`types`: the feed's categories or EventSub types,
// `min_bits`, `duration` in seconds), e.g. a second, cheers-only source.
// The key (in the fragment: never sent to a server in a URL, never in a
// Referer) buys read-only tickets for one streamer. Each new event of the
// chosen types shows as an alert, one at a time, queued, never twice. The
// page can also send a test alert, replay the last alert, skip the one
// showing, and pause or resume the queue.
//
// Where to resume is kept by the server, per key, not in this browser
// source (some keep no storage): every ticket's answer says after which
// event to resume, and each alert shown is reported back (`/api/overlay/
// shown`), which only ever moves that position forward. So a reload, a
// dropped connection or a second overlay with the same key neither replays
// an alert nor loses one: on connecting, the events after the position
// come from the read API, the live ones from the socket.

import { connectWithKey } from './overlay-key.js';
import { frameOf } from './feed.js';
import { labelOf, loadLabels } from './labels.js';
import { categoryOf } from './filters.js';
import { chime } from './chime.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.hash.slice(1));
const key = params.get('key') ?? '';
/** URL overrides for this one browser source (`null`: the settings decide). */
const urlTypes = params.has('types')
  ? new Set(params.get('types').split(',').filter(Boolean))
  : null;
const urlMinBits = params.has('min_bits') ? Number(params.get('min_bits')) : null;
const urlDuration = params.has('duration') ? Math.max(1, Number(params.get('duration'))) : null;
/** The overlay's settings, as the server last said (its ticket, then the socket). */
let settings = null;
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

/** Applies settings the server sent: the next alert follows them. */
function applySettings(next) {
  if (!next) return;
  settings = next;
  document.body.dataset.position = next.position ?? 'top';
  window.overlaySettings = next;
}

/** Whether `frame` is one of the alerts this overlay was asked for. */
export function wanted(frame) {
  if (frame.type !== 'event' || !settings) return false;
  const type = frame.event_type;
  const event = frame.event ?? {};
  if (urlTypes) {
    if (!urlTypes.has(type) && !urlTypes.has(categoryOf(type))) return false;
  } else if (!settings.types.includes(type)) {
    return false;
  }
  // Found after an outage: it happened minutes ago, so it alerts only when
  // the streamer asked for "while you were away" alerts.
  if (frame.recovered === true && settings.alert_recovered !== true) return false;
  // A gift bomb is one alert: the gift, not each recipient's subscribe.
  if (type === 'channel.subscribe' && event.is_gift === true) return false;
  if (type === 'channel.cheer' && (event.bits ?? 0) < (urlMinBits ?? settings.min_bits)) return false;
  if (type === 'channel.raid' && (event.viewers ?? 0) < settings.min_viewers) return false;
  if (type === 'channel.subscription.gift' && (event.total ?? 0) < settings.min_gifts) return false;
  return true;
}

const queue = [];
const queued = new Set();
let showing = false;
/** The queue waits (the page's Pause) until resumed. */
let paused = false;
/** The alert on screen, or last on screen (for Replay). */
let last = null;
let hideTimer = null;

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
  const box = $('alert');
  const frame = paused ? null : queue.shift();
  if (!frame) {
    showing = false;
    box.hidden = true;
    return;
  }
  showing = true;
  last = frame;
  $('alert-title').textContent = titleOf(frame);
  $('alert-text').textContent = frame.summary?.text ?? labelOf(frame.event_type) ?? '';
  box.dataset.id = frame.id;
  box.dataset.kind = frame.kind ?? 'live';
  box.hidden = false;
  // Tests, replays: shown, never reported (the key's position is for events).
  if (!frame.kind) report(frame);
  if (settings?.sound && chime(settings.volume)) window.overlaySounds = (window.overlaySounds ?? 0) + 1;
  window.overlayShown = (window.overlayShown ?? 0) + 1;
  const seconds = urlDuration ?? settings?.duration_s ?? 6;
  hideTimer = setTimeout(hide, seconds * 1000);
}

/** Ends the alert on screen; a beat later, the next (so two read as two). */
function hide() {
  clearTimeout(hideTimer);
  $('alert').hidden = true;
  setTimeout(next, 300);
}

/** Shows `frame` before anything queued (a test alert, a replay). */
function showFirst(frame) {
  queue.unshift(frame);
  if (!showing && !catchingUp) next();
}

/** What the page asked of the open overlays: replay, skip, pause, resume. */
function control(action) {
  if (action === 'replay' && last) showFirst({ ...last, kind: 'replay' });
  else if (action === 'skip' && showing) hide();
  else if (action === 'pause') paused = true;
  else if (action === 'resume') {
    paused = false;
    if (!showing && !catchingUp) next();
  }
  document.body.dataset.paused = String(paused);
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
  const connection = connectWithKey({
    key,
    purpose: 'overlay',
    onState(state) {
      document.body.dataset.state = state;
    },
    onFrame(frame) {
      if (frame.type === 'subscribed') resumeAfterConnect(frame.broadcaster);
      if (frame.type === 'event') enqueue(frame);
      else if (frame.type === 'overlay_settings') applySettings(frame.settings);
      else if (frame.type === 'overlay_test') showFirst({ ...frame, kind: 'test' });
      else if (frame.type === 'overlay_control') control(frame.action);
      else if (frame.type === 'error') console.warn(`overlay: ${frame.code}: ${frame.message}`);
    },
    onTicket(body) {
      advance(fromServer(body.resume_after));
      applySettings(body.settings);
    },
    onProblem: problem,
  });
  window.streamerEventsOverlay = { connection, queue };
}

main();
