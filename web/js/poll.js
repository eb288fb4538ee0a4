// Watching without an account. WebSocket tickets are issued to sessions (the
// budgets behind a socket — lookups, tracking — belong to logged-in users), so
// a logged-out visitor reads the same events from the read API instead: the
// newest page first (the backlog), then, every POLL_MS, what was stored after
// the newest event seen (`after=`). One small anonymous read per visitor per
// POLL_MS, within the read API's route throttles; a refused or failed read
// backs off, and a hidden tab does not read at all.
//
// Same shape as LiveConnection (watch, subscribed, stop; onFrame/onState with
// the same frames), so the page handles both alike.

import { backoffDelay } from './live.js';
import { frameOf } from './feed.js';

/** How often a logged-out visitor's page reads new events. */
export const POLL_MS = 10_000;
/** Events shown first (the socket's backlog is the same size). */
const BACKLOG = 50;
/** A forward read takes at most this many; more are read at once after. */
const PAGE = 100;

export class PollingConnection {
  /**
   * @param {object} options
   * @param {(frame: object) => void} options.onFrame every frame about the watched streamer
   * @param {(state: string, detail?: object) => void} options.onState 'connecting', 'polling', 'reconnecting', 'stopped'
   */
  constructor({ onFrame, onState, pollMs = POLL_MS, fetch: fetchImpl = globalThis.fetch.bind(globalThis), document: doc = globalThis.document }) {
    this.onFrame = onFrame;
    this.onState = onState;
    this.pollMs = pollMs;
    this.fetch = fetchImpl;
    this.document = doc;
    this.broadcaster = null;
    this.subscribed = null;
    this.after = null; // cursor of the newest event seen
    this.attempt = 0;
    this.timer = null;
    this.generation = 0; // a read for a streamer no longer watched is dropped
    this.stopped = false;
    this.onVisible = () => {
      if (this.document?.visibilityState === 'visible' && this.waitingForVisible) {
        this.waitingForVisible = false;
        this.read(this.generation);
      }
    };
    this.document?.addEventListener?.('visibilitychange', this.onVisible);
  }

  /** Watches `broadcaster` (a login or a user id) instead of whatever was watched before. */
  watch(broadcaster) {
    this.broadcaster = broadcaster;
    this.subscribed = null;
    this.after = null;
    this.attempt = 0;
    this.generation += 1;
    clearTimeout(this.timer);
    this.timer = null;
    this.onState('connecting', { broadcaster });
    this.read(this.generation);
  }

  url() {
    const base = `api/streamers/${encodeURIComponent(this.broadcaster)}/events`;
    // Until one event is seen there is no position to read after: the newest
    // page again (the feed drops ids it already has).
    return this.after ? `${base}?after=${encodeURIComponent(this.after)}&limit=${PAGE}` : `${base}?limit=${BACKLOG}`;
  }

  async read(generation) {
    this.timer = null;
    if (this.stopped || generation !== this.generation) return;
    if (this.document && this.document.visibilityState === 'hidden') {
      this.waitingForVisible = true;
      return;
    }
    let response;
    let body;
    try {
      response = await this.fetch(this.url(), { cache: 'no-store' });
      body = await response.json();
    } catch {
      if (generation === this.generation) this.retry(generation, 'no answer');
      return;
    }
    if (this.stopped || generation !== this.generation) return;
    if (response.status === 400 || response.status === 404) {
      // The streamer is not one this deployment knows: reading again cannot help.
      this.onFrame({ type: 'error', code: body?.error, message: body?.message ?? `HTTP ${response.status}` });
      this.onState('stopped', { broadcaster: this.broadcaster });
      return;
    }
    if (!response.ok) {
      this.retry(generation, response.status === 429 ? 'busy' : `HTTP ${response.status}`);
      return;
    }
    const first = this.subscribed === null;
    if (first) {
      this.subscribed = this.broadcaster;
      this.onFrame({ type: 'subscribed', broadcaster: this.broadcaster, polling: true });
    }
    const events = body.events ?? [];
    if (this.after) {
      // Oldest first: each one is new.
      for (const e of events) this.onFrame({ ...frameOf(this.broadcaster, e), backlog: false });
      const last = events[events.length - 1];
      if (last) this.after = last.cursor;
    } else {
      // Newest first: the backlog (or, before any event existed, the newest page again).
      for (const e of events) this.onFrame({ ...frameOf(this.broadcaster, e), backlog: first });
      if (events[0]) this.after = events[0].cursor;
    }
    this.attempt = 0;
    this.onState('polling', { broadcaster: this.broadcaster, everyMs: this.pollMs });
    // A full forward page means more are waiting: read them now.
    const more = this.after && events.length === PAGE && body.next;
    this.timer = setTimeout(() => this.read(generation), more ? 0 : this.pollMs);
  }

  retry(generation, reason) {
    if (this.stopped) return;
    const delay = Math.max(this.pollMs, backoffDelay(this.attempt, { baseMs: this.pollMs, maxMs: 6 * this.pollMs }));
    this.attempt += 1;
    this.onState('reconnecting', { reason, delay });
    this.timer = setTimeout(() => this.read(generation), delay);
  }

  /** Stops reading for good. */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.document?.removeEventListener?.('visibilitychange', this.onVisible);
  }
}
