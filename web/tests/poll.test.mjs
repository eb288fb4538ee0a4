// Watching without an account, without a browser: what PollingConnection reads,
// in which order, and what it hands the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PollingConnection } from '../js/poll.js';

// A read API the test answers by hand: each request waits in `pending` until
// the test answers it, so the order of answers is the test's to choose.
class FakeApi {
  constructor() {
    this.pending = [];
    this.waiters = [];
    this.fetch = (url) => new Promise((resolve) => {
      const request = { url, answer: (status, body) => resolve({ status, ok: status >= 200 && status < 300, json: async () => body }) };
      const waiter = this.waiters.shift();
      if (waiter) waiter(request);
      else this.pending.push(request);
    });
  }
  /** The next request the connection makes. */
  next() {
    const request = this.pending.shift();
    return request ? Promise.resolve(request) : new Promise((resolve) => this.waiters.push(resolve));
  }
}

// A page's document, whose visibility the test sets.
class FakeDocument {
  constructor() {
    this.visibilityState = 'visible';
    this.listeners = [];
  }
  addEventListener(type, listener) { if (type === 'visibilitychange') this.listeners.push(listener); }
  removeEventListener(type, listener) { this.listeners = this.listeners.filter((l) => l !== listener); }
  show() { this.visibilityState = 'visible'; for (const l of this.listeners) l(); }
}

const event = (n) => ({ id: `m${n}`, type: 'channel.follow', version: '2', received_at_ms: n, summary: `follow ${n}`, cursor: `c${n}`, event: {} });
/** Lets the connection's callbacks after an answer run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function connection(t, options = {}) {
  const api = new FakeApi();
  const frames = [];
  const states = [];
  const polling = new PollingConnection({
    onFrame: (f) => frames.push(f),
    onState: (s, d) => states.push({ s, d }),
    pollMs: 5,
    fetch: api.fetch,
    document: options.document ?? new FakeDocument(),
  });
  t.after(() => polling.stop());
  return { api, frames, states, polling };
}

test('the backlog first, newest first, then only what was stored after the newest event seen', async (t) => {
  const { api, frames, states, polling } = connection(t);
  polling.watch('user1337');
  const first = await api.next();
  assert.equal(first.url, 'api/streamers/user1337/events?limit=50');
  first.answer(200, { events: [event(3), event(2)], next: 'c2' });
  const second = await api.next();
  assert.equal(second.url, 'api/streamers/user1337/events?after=c3&limit=100');
  assert.deepEqual(frames.map((f) => [f.type, f.id ?? null, f.backlog ?? null]), [
    ['subscribed', null, null], ['event', 'm3', true], ['event', 'm2', true],
  ]);
  assert.equal(polling.subscribed, 'user1337');
  assert.equal(states.at(-1).s, 'polling');
  frames.length = 0;
  second.answer(200, { events: [event(4), event(5)], next: null });
  const third = await api.next();
  assert.equal(third.url, 'api/streamers/user1337/events?after=c5&limit=100');
  assert.deepEqual(frames.map((f) => [f.id, f.backlog, f.broadcaster]), [['m4', false, 'user1337'], ['m5', false, 'user1337']]);
});

test('before any event exists it reads the newest page again, and what appears there is new', async (t) => {
  const { api, frames, polling } = connection(t);
  polling.watch('user1337');
  (await api.next()).answer(200, { events: [], next: null });
  const again = await api.next();
  assert.equal(again.url, 'api/streamers/user1337/events?limit=50');
  again.answer(200, { events: [event(1)], next: null });
  assert.equal((await api.next()).url, 'api/streamers/user1337/events?after=c1&limit=100');
  assert.deepEqual(frames.filter((f) => f.type === 'event').map((f) => [f.id, f.backlog]), [['m1', false]]);
});

test('a refused read (429) backs off, says so, and reading resumes where it was', async (t) => {
  const { api, states, polling } = connection(t);
  polling.watch('user1337');
  (await api.next()).answer(200, { events: [event(1)], next: null });
  (await api.next()).answer(429, { error: 'too_many_requests', message: 'slow down' });
  const retried = await api.next();
  const backoff = states.find((s) => s.s === 'reconnecting');
  assert.equal(backoff.d.reason, 'busy');
  assert.ok(backoff.d.delay >= 5, `delay ${backoff.d.delay}`);
  assert.equal(retried.url, 'api/streamers/user1337/events?after=c1&limit=100');
});

test('an answer about a streamer already left is dropped', async (t) => {
  const { api, frames, polling } = connection(t);
  polling.watch('user1337');
  const old = await api.next();
  polling.watch('user4242');
  const current = await api.next();
  old.answer(200, { events: [event(1)], next: null });
  current.answer(200, { events: [event(2)], next: null });
  await api.next();
  assert.deepEqual(frames.map((f) => [f.type, f.broadcaster, f.id ?? null]), [
    ['subscribed', 'user4242', null], ['event', 'user4242', 'm2'],
  ]);
});

test('an unknown streamer is an error frame with its code, and nothing is read after', async (t) => {
  const { api, frames, states, polling } = connection(t);
  polling.watch('nobody');
  (await api.next()).answer(404, { error: 'unknown_streamer', message: 'no such streamer here' });
  await settle();
  assert.deepEqual(frames, [{ type: 'error', code: 'unknown_streamer', message: 'no such streamer here' }]);
  assert.equal(states.at(-1).s, 'stopped');
  assert.equal(api.pending.length, 0);
  assert.equal(polling.timer, null, 'no read scheduled');
});

test('a hidden tab reads nothing until it is shown again', async (t) => {
  const document = new FakeDocument();
  const { api, polling } = connection(t, { document });
  document.visibilityState = 'hidden';
  polling.watch('user1337');
  await settle();
  assert.equal(api.pending.length, 0, 'no read while hidden');
  document.show();
  assert.equal((await api.next()).url, 'api/streamers/user1337/events?limit=50');
});
