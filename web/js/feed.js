// The list of events for one streamer: newest first, each message id once
// (backlogs fetched again after a reconnect and redelivered notifications
// overlap with what is shown). Text goes in with textContent only: summaries
// carry chat messages and titles that anyone can write.
//
// A gift bomb reads as one line: Twitch sends a `channel.subscription.gift`
// and, for each recipient, a `channel.subscribe` with `is_gift`; those are
// folded under the gift (in whichever order they arrive) instead of fifty
// lines. Stored events stay exactly what Twitch sent: this is display only.

import { categoryOf } from './filters.js';
import { labelOf } from './labels.js';

// Enough for an evening, and for paging back a good way.
const MAX_ITEMS = 1000;
/** Gifted subs this close in time to a gift of the same channel are its recipients. */
const GIFT_WINDOW_MS = 15_000;

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

const isGiftedSub = (frame) => frame.event_type === 'channel.subscribe' && frame.event?.is_gift === true;

export class Feed {
  /** @param {HTMLOListElement} list */
  constructor(list, onChange = () => {}) {
    this.list = list;
    this.onChange = onChange;
    this.ids = new Set();
    this.hidden = new Set();
  }

  clear() {
    this.ids.clear();
    this.list.replaceChildren();
    this.onChange(0);
  }

  get size() {
    return this.ids.size;
  }

  /** Hides the events of these categories (and shows the others). */
  setHidden(hidden) {
    this.hidden = new Set(hidden);
    for (const item of this.list.children) item.hidden = this.hidden.has(item.dataset.category);
  }

  /** Adds an event frame; returns false for one already shown. */
  add(frame) {
    if (this.ids.has(frame.id)) return false;
    this.ids.add(frame.id);
    const gift = isGiftedSub(frame) ? this.giftFor(frame) : null;
    if (gift) {
      fold(gift, frame);
      this.onChange(this.ids.size);
      return true;
    }
    const item = render(frame);
    item.hidden = this.hidden.has(item.dataset.category);
    // Newest first by arrival time; the backlog comes oldest first and live
    // events may interleave with it, so find the place rather than prepend.
    let before = this.list.firstElementChild;
    while (before && Number(before.dataset.receivedAt) > frame.received_at) {
      before = before.nextElementSibling;
    }
    this.list.insertBefore(item, before);
    if (frame.event_type === 'channel.subscription.gift') this.collectRecipients(item);
    while (this.list.childElementCount > MAX_ITEMS) {
      const last = this.list.lastElementChild;
      this.ids.delete(last.dataset.id);
      for (const r of last.querySelectorAll('.recipients li')) this.ids.delete(r.dataset.id);
      last.remove();
    }
    this.onChange(this.ids.size);
    return true;
  }

  /**
   * The feed position of the newest event shown (what "mark as read"
   * records): a gift's recipients folded under it may be newer than the gift.
   */
  newestCursor() {
    return this.newest()?.cursor ?? null;
  }

  /** The newest event shown: its cursor and arrival time (ms), or null. */
  newest() {
    let newest = null;
    for (const item of this.list.querySelectorAll(':scope > li[data-cursor]')) {
      const own = { cursor: item.dataset.cursor, at: Number(item.dataset.receivedAt) };
      if (!newest || own.at > newest.at) newest = own;
      if (item.dataset.newestCursor && Number(item.dataset.newestAt) > newest.at) {
        newest = { cursor: item.dataset.newestCursor, at: Number(item.dataset.newestAt) };
      }
    }
    return newest;
  }

  /**
   * Draws the "new since you last looked" line below the events that
   * arrived after `readAtMs` (none: no line).
   */
  markRead(readAtMs) {
    this.list.querySelector('li.divider')?.remove();
    if (readAtMs == null) return;
    const first = this.list.firstElementChild;
    if (!first || Number(first.dataset.receivedAt) <= readAtMs) return;
    let before = first;
    while (before && Number(before.dataset.receivedAt) > readAtMs) before = before.nextElementSibling;
    const divider = document.createElement('li');
    divider.className = 'divider';
    divider.dataset.receivedAt = String(readAtMs);
    divider.textContent = 'New since you last looked';
    this.list.insertBefore(divider, before);
  }

  /** The feed position of the oldest event shown (where "older" pages start). */
  oldestCursor() {
    const items = this.list.querySelectorAll('li[data-cursor]');
    return items.length ? items[items.length - 1].dataset.cursor : null;
  }

  /** A gift of the same channel, close in time, with recipients still to come. */
  giftFor(frame) {
    for (const item of this.list.querySelectorAll('li[data-type="channel.subscription.gift"]')) {
      const near = Math.abs(Number(item.dataset.receivedAt) - frame.received_at) <= GIFT_WINDOW_MS;
      if (near && item.dataset.broadcaster === frame.broadcaster && room(item)) return item;
    }
    return null;
  }

  /** Folds the gifted subs that arrived before their gift under it. */
  collectRecipients(gift) {
    const window = Number(gift.dataset.receivedAt);
    for (const item of [...this.list.querySelectorAll('li[data-gifted="true"]')]) {
      if (!room(gift)) break;
      const near = Math.abs(Number(item.dataset.receivedAt) - window) <= GIFT_WINDOW_MS;
      if (near && item.dataset.broadcaster === gift.dataset.broadcaster) {
        fold(gift, item.frame);
        item.remove();
      }
    }
  }
}

/** True while a gift has fewer recipients folded under it than it gave. */
function room(gift) {
  return Number(gift.dataset.folded ?? 0) < Number(gift.dataset.total ?? 0);
}

function fold(gift, frame) {
  let list = gift.querySelector('.recipients ul');
  if (!list) {
    const details = document.createElement('details');
    details.className = 'recipients';
    const summary = document.createElement('summary');
    list = document.createElement('ul');
    details.append(summary, list);
    gift.append(details);
  }
  // The newest recipient's position, for "mark as read" (newestCursor).
  if (frame.cursor && frame.received_at > Number(gift.dataset.newestAt ?? -Infinity)) {
    gift.dataset.newestAt = String(frame.received_at);
    gift.dataset.newestCursor = frame.cursor;
  }
  const recipient = document.createElement('li');
  recipient.dataset.id = frame.id;
  recipient.textContent = frame.event?.user_name ?? frame.event?.user_login ?? 'someone';
  list.append(recipient);
  const folded = list.childElementCount;
  gift.dataset.folded = String(folded);
  gift.querySelector('.recipients summary').textContent = `${folded} recipient${folded === 1 ? '' : 's'}`;
}

function render(frame) {
  const item = document.createElement('li');
  item.dataset.id = frame.id;
  item.dataset.type = frame.event_type;
  item.dataset.category = categoryOf(frame.event_type);
  item.dataset.broadcaster = frame.broadcaster;
  item.dataset.receivedAt = String(frame.received_at);
  if (frame.cursor) item.dataset.cursor = frame.cursor;
  if (frame.event_type === 'channel.subscription.gift') item.dataset.total = String(frame.event?.total ?? 0);
  if (isGiftedSub(frame)) {
    item.dataset.gifted = 'true';
    item.frame = frame;
  }
  if (!frame.backlog) item.classList.add('new');

  const time = document.createElement('time');
  const at = new Date(frame.received_at);
  time.dateTime = at.toISOString();
  time.textContent = timeFormat.format(at);

  // In words; the wire name only as a tooltip.
  const label = labelOf(frame.event_type) ?? frame.event_type;
  const type = document.createElement('span');
  type.className = 'type';
  type.textContent = label;
  type.title = frame.event_type;

  const summary = document.createElement('span');
  summary.className = 'summary';
  summary.textContent = frame.summary?.text ?? label;
  if (frame.recovered === true) markRecovered(item, time, summary, frame);

  item.append(time, type, summary);
  return item;
}

/**
 * An event Twitch did not deliver live, found afterwards: said in words
 * beside it, and a time known only as "during the outage" shown as about.
 */
function markRecovered(item, time, summary, frame) {
  item.dataset.recovered = frame.time_exact === false ? 'approximate' : 'exact';
  const note = document.createElement('small');
  note.className = 'recovered';
  note.textContent = ' · found after an outage';
  note.title = 'Twitch did not deliver this live; it was found afterwards.';
  summary.append(note);
  if (frame.time_exact === false) {
    time.textContent = `≈ ${time.textContent}`;
    time.title = 'Sometime during the outage; shown at its end.';
  }
}

/** A read API event (`/api/streamers/{id}/events`) as the frame the feed takes. */
export function frameOf(broadcaster, e) {
  return {
    type: 'event',
    id: e.id,
    broadcaster,
    event_type: e.type,
    version: e.version,
    received_at: e.received_at_ms,
    cursor: e.cursor,
    backlog: true,
    summary: e.summary,
    event: e.event,
    recovered: e.recovered === true,
    source: e.source,
    time_exact: e.time_exact,
  };
}

/** A streamer's events from `fromMs` on, newest first, read a page (100) at a time, `pages` at most. */
export async function eventsSince(streamer, fromMs, pages = 10) {
  const base = `api/streamers/${encodeURIComponent(streamer)}`;
  const events = [];
  let cursor = null;
  for (let page = 0; page < pages; page += 1) {
    const url = `${base}/events?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const response = await fetch(url, { cache: 'no-store' });
    if (!response.ok) break;
    const body = await response.json();
    events.push(...body.events);
    const oldest = body.events[body.events.length - 1];
    if (!body.next || !oldest || oldest.received_at_ms < fromMs) break;
    cursor = body.next;
  }
  return events;
}
