// The live connection without a browser: the reconnect schedule, and what it sends in which order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, inWords, LiveConnection } from '../js/live.js';

test('backoff doubles from 0.5 s, is capped at 30 s, and is jittered within [ceiling/2, ceiling]', () => {
  const low = () => 0;
  const high = () => 1;
  assert.deepEqual([0, 1, 2, 3].map((a) => backoffDelay(a, { random: high })), [500, 1000, 2000, 4000]);
  assert.deepEqual([0, 1, 2, 3].map((a) => backoffDelay(a, { random: low })), [250, 500, 1000, 2000]);
  assert.equal(backoffDelay(50, { random: high }), 30000);
  assert.equal(backoffDelay(50, { random: low }), 15000);
});

// A socket the test drives: it records what the page sends, and the test
// answers in whatever order the server's separate invocations might finish.
class FakeSocket {
  static OPEN = 1;
  static last = null;
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    this.listeners = {};
    FakeSocket.last = this;
  }
  addEventListener(type, listener) {
    (this.listeners[type] ??= []).push(listener);
  }
  send(text) {
    this.sent.push(JSON.parse(text));
  }
  close() {}
  emit(type, event = {}) {
    for (const listener of this.listeners[type] ?? []) listener(event);
  }
  answer(frame) {
    this.emit('message', { data: JSON.stringify(frame) });
  }
  /** What was sent since the last call. */
  take() {
    return this.sent.splice(0);
  }
}

async function watching(t, broadcaster) {
  globalThis.WebSocket = FakeSocket;
  const live = new LiveConnection({ config: { websocket_url: 'ws://127.0.0.1/' }, onFrame() {}, onState() {} });
  t.after(() => live.stop());
  live.watch(broadcaster);
  while (!FakeSocket.last || FakeSocket.last.url !== 'ws://127.0.0.1/') await new Promise((r) => setImmediate(r));
  const socket = FakeSocket.last;
  FakeSocket.last = null;
  socket.readyState = FakeSocket.OPEN;
  socket.emit('open');
  assert.deepEqual(socket.take(), [{ action: 'subscribe', broadcaster }]);
  socket.answer({ type: 'subscribed', broadcaster, topics: 1 });
  return { live, socket };
}

test('switching to the same streamer by login never unsubscribes it', async (t) => {
  const { live, socket } = await watching(t, '1337');
  live.watch('user1337');
  // Nothing is dropped before the server says who the login is.
  assert.deepEqual(socket.take(), [{ action: 'subscribe', broadcaster: 'user1337' }]);
  socket.answer({ type: 'subscribed', broadcaster: '1337', requested: 'user1337', topics: 1 });
  assert.deepEqual(socket.take(), []);
  assert.equal(live.broadcaster, '1337');
});

test('another streamer is subscribed first, and the old one dropped once it is confirmed', async (t) => {
  const { live, socket } = await watching(t, '1337');
  live.watch('42');
  assert.deepEqual(socket.take(), [{ action: 'subscribe', broadcaster: '42' }]);
  socket.answer({ type: 'subscribed', broadcaster: '42', topics: 2 });
  assert.deepEqual(socket.take(), [{ action: 'unsubscribe', broadcaster: '1337' }]);
});

test('a confirmation of a streamer already left is unsubscribed at once', async (t) => {
  const { live, socket } = await watching(t, '1');
  live.watch('2');
  live.watch('3');
  socket.take();
  socket.answer({ type: 'subscribed', broadcaster: '2', topics: 2 });
  assert.deepEqual(socket.take(), [{ action: 'unsubscribe', broadcaster: '2' }]);
  socket.answer({ type: 'subscribed', broadcaster: '3', topics: 3 });
  assert.deepEqual(socket.take(), [{ action: 'unsubscribe', broadcaster: '1' }]);
});

test('an unsubscribe the server handled after a later subscribe of the same streamer is undone', async (t) => {
  const { live, socket } = await watching(t, '1');
  live.watch('2');
  socket.answer({ type: 'subscribed', broadcaster: '2', topics: 2 });
  live.watch('1');
  assert.deepEqual(socket.take(), [
    { action: 'subscribe', broadcaster: '2' },
    { action: 'unsubscribe', broadcaster: '1' },
    { action: 'subscribe', broadcaster: '1' },
  ]);
  // The subscribe of 1 finished first; the older unsubscribe then removed it.
  socket.answer({ type: 'subscribed', broadcaster: '1', topics: 2 });
  assert.deepEqual(socket.take(), [{ action: 'unsubscribe', broadcaster: '2' }]);
  socket.answer({ type: 'unsubscribed', broadcaster: '1', topics: 1 });
  assert.deepEqual(socket.take(), [{ action: 'subscribe', broadcaster: '1' }]);
});

test('why a connection dropped is said in words, never as the browser reports it', () => {
  assert.equal(inWords('Failed to fetch'), 'The server cannot be reached');
  assert.equal(inWords('NetworkError when attempting to fetch resource.'), 'The server cannot be reached');
  assert.equal(inWords('ticket request failed: HTTP 503'), 'The server is busy');
  assert.equal(inWords('closed (1011)'), 'The server closed the connection');
  assert.equal(inWords('connection lost'), 'Connection lost');
  assert.equal(inWords(undefined), 'Connection lost');
});
