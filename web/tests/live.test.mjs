// The reconnect schedule, without a browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from '../js/live.js';

test('backoff doubles from 0.5 s, is capped at 30 s, and is jittered within [ceiling/2, ceiling]', () => {
  const low = () => 0;
  const high = () => 1;
  assert.deepEqual([0, 1, 2, 3].map((a) => backoffDelay(a, { random: high })), [500, 1000, 2000, 4000]);
  assert.deepEqual([0, 1, 2, 3].map((a) => backoffDelay(a, { random: low })), [250, 500, 1000, 2000]);
  assert.equal(backoffDelay(50, { random: high }), 30000);
  assert.equal(backoffDelay(50, { random: low }), 15000);
});
