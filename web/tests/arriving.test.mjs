// What arrives for a streamer, in the feed's categories (web/js/arriving.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arrivals } from '../js/arriving.js';

test('a category arrives when every type of it is delivered, and waits when any needs permission', () => {
  const got = arrivals({
    'channel.follow': { state: 'enabled' },
    'channel.raid': { state: 'enabled' },
    'stream.online': { state: 'enabled' },
    'stream.offline': { state: 'enabled' },
    'channel.subscribe': { state: 'needs_authorization', scopes: ['channel:read:subscriptions'] },
    'channel.subscription.gift': { state: 'needs_authorization', scopes: ['channel:read:subscriptions'] },
    'channel.cheer': { state: 'waiting_for_verification' },
    'channel.ban': { state: 'failed', reason: 'refused' },
  });
  assert.deepEqual(got, {
    arrives: ['Follows', 'Raids', 'Stream and channel'],
    waits: ['Subs and gifts'],
    starting: ['Cheers'],
    unavailable: ['Bans'],
  });
});

test('one type of a category still waiting keeps the whole category waiting', () => {
  const got = arrivals({
    'stream.online': { state: 'enabled' },
    'channel.update': { state: 'needs_authorization' },
  });
  assert.deepEqual(got.arrives, []);
  assert.deepEqual(got.waits, ['Stream and channel']);
});

test('no types: nothing in any group', () => {
  assert.deepEqual(arrivals({}), { arrives: [], waits: [], starting: [], unavailable: [] });
});
