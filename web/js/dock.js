// The recent-events dock, for OBS's custom browser docks:
//   dock.html#key=<overlay key>
// A compact, read-only list of a channel's last events, newest first, live,
// with the same key as the alert overlay (its ticket asks as a dock, so the
// page's test alerts and queue controls are not sent here). Chat stays out:
// a dock is for what a streamer thanks people for.

import { connectWithKey } from './overlay-key.js';
import { Feed, frameOf } from './feed.js';
import { loadLabels } from './labels.js';
import { categoryOf } from './filters.js';

/** Events kept in the dock. */
const SHOWN = 50;
const $ = (id) => document.getElementById(id);
const key = new URLSearchParams(location.hash.slice(1)).get('key') ?? '';
const feed = new Feed($('dock-feed'));

function add(frame) {
  if (categoryOf(frame.event_type) === 'chat') return;
  const name = frame.event?.broadcaster_user_name;
  if (name) $('dock-title').textContent = `Recent events · ${name}`;
  feed.add(frame);
  // The oldest go: a dock stays short.
  const items = $('dock-feed').children;
  while (items.length > SHOWN) items[items.length - 1].remove();
  $('dock-status').textContent = items.length ? '' : 'No events yet.';
}

/** The last events, read once a socket is open (the socket's backlog is short). */
async function backlog(broadcaster) {
  try {
    const response = await fetch(`api/streamers/${encodeURIComponent(broadcaster)}/events?limit=${SHOWN}`, { cache: 'no-store' });
    if (!response.ok) return;
    const body = await response.json();
    for (const e of body.events.slice().reverse()) add(frameOf(broadcaster, e));
  } catch {
    // The socket's own backlog still fills it.
  }
  if (!$('dock-feed').children.length) $('dock-status').textContent = 'No events yet.';
}

async function main() {
  if (!key) {
    $('dock-status').textContent = 'This dock URL has no key; copy it again from Streamer Events.';
    return;
  }
  await loadLabels();
  connectWithKey({
    key,
    purpose: 'dock',
    onState(state) {
      document.body.dataset.state = state;
    },
    onFrame(frame) {
      if (frame.type === 'subscribed') backlog(frame.broadcaster);
      else if (frame.type === 'event') add(frame);
    },
    onTicket() {},
    onProblem(text) {
      document.body.dataset.problem = text;
      $('dock-status').textContent = text;
    },
  });
}

main();
