// The alert overlay, for an OBS browser source:
//   overlay.html#key=<overlay key>&types=channel.cheer,channel.raid&min_bits=100&duration=6
// The key (in the fragment: never sent to a server in a URL, never in a
// Referer) buys read-only tickets for one streamer. Each new event of the
// chosen types shows as an alert, one at a time, queued, never twice: the
// last one shown is remembered (in this browser source's storage), so a
// reload or a dropped connection resumes after it instead of replaying or
// losing alerts.

import { LiveConnection } from './live.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.hash.slice(1));
const key = params.get('key') ?? '';
const types = new Set((params.get('types') ?? '').split(',').filter(Boolean));
const minBits = Number(params.get('min_bits') ?? 0);
const durationMs = Math.max(1, Number(params.get('duration') ?? 6)) * 1000;
// One memory per key: two overlays in one OBS do not share it.
const memoryKey = `streamer-events:overlay:${key.slice(0, 12)}`;

/** The last alert shown: `{at, id}` (arrival ms and message id). */
function lastShown() {
  try {
    return JSON.parse(localStorage.getItem(memoryKey) ?? 'null');
  } catch {
    return null;
  }
}

function remember(frame) {
  localStorage.setItem(memoryKey, JSON.stringify({ at: frame.received_at, id: frame.id }));
}

/** Whether `frame` is one of the alerts this overlay was asked for. */
export function wanted(frame) {
  if (frame.type !== 'event') return false;
  if (types.size > 0 && !types.has(frame.event_type)) return false;
  if (frame.event_type === 'channel.cheer' && (frame.event?.bits ?? 0) < minBits) return false;
  return true;
}

const queue = [];
const queued = new Set();
let showing = false;

function enqueue(frame) {
  const last = lastShown();
  // Shown before this load, or older than the last one shown: not again.
  if (queued.has(frame.id) || (last && (frame.received_at < last.at || frame.id === last.id))) return;
  if (!wanted(frame)) return;
  queued.add(frame.id);
  queue.push(frame);
  queue.sort((a, b) => a.received_at - b.received_at);
  if (!showing) next();
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
  remember(frame);
  window.overlayShown = (window.overlayShown ?? 0) + 1;
  setTimeout(() => {
    box.hidden = true;
    // A beat between two alerts, so they read as two.
    setTimeout(next, 300);
  }, durationMs);
}

function titleOf(frame) {
  const titles = {
    'channel.follow': 'New follower!',
    'channel.subscribe': 'New subscriber!',
    'channel.subscription.gift': 'Gifted subs!',
    'channel.subscription.message': 'Resub!',
    'channel.cheer': 'Cheer!',
    'channel.raid': 'Raid!',
    'channel.channel_points_custom_reward_redemption.add': 'Redeemed!',
  };
  return titles[frame.event_type] ?? frame.event_type;
}

async function main() {
  if (!key) {
    $('overlay-error').hidden = false;
    $('overlay-error').textContent = 'This overlay URL has no key; copy it again from Streamer Events.';
    return;
  }
  // First load ever: start from now, not with the backlog.
  if (!lastShown()) localStorage.setItem(memoryKey, JSON.stringify({ at: Date.now(), id: null }));
  let broadcaster = null;
  const connection = new LiveConnection({
    config: { websocket_url: null, ticket_url: null },
    onState(state) {
      document.body.dataset.state = state;
    },
    onFrame(frame) {
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
      $('overlay-error').hidden = false;
      $('overlay-error').textContent = 'This overlay key was revoked; copy a new URL from Streamer Events.';
      const error = new Error('revoked');
      error.loggedOut = true;
      throw error;
    }
    if (!response.ok) throw new Error(`ticket request failed: HTTP ${response.status}`);
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
