// The charts' live tally and the on-air state without a browser: what a live
// event adds to the read API's counts per day, and whose word on a stream
// being live stands (an event's, or the poller's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withEvents } from '../js/chart.js';
import { OnAir } from '../js/account.js';

const at = (iso) => Date.parse(iso);
const stats = {
  days: [
    { day: '2026-12-06', total: 1, counts: { 'channel.cheer': 1 } },
    { day: '2026-12-07', total: 2, counts: { 'channel.follow': 2 } },
  ],
};

test('live events are counted on their UTC day and type, the read itself left as it was', () => {
  const counted = withEvents(stats, [
    { id: 'a', type: 'channel.follow', received_at_ms: at('2026-12-07T23:59:59Z') },
    { id: 'b', type: 'channel.raid', received_at_ms: at('2026-12-07T01:00:00Z') },
  ]);
  assert.deepEqual(counted.days[1], { day: '2026-12-07', total: 4, counts: { 'channel.follow': 3, 'channel.raid': 1 } });
  assert.deepEqual(counted.days[0], stats.days[0]);
  assert.equal(stats.days[1].total, 2, 'the read is not changed');
});

test('a new UTC day joins on the right, seven days kept; a day before the read is not added', () => {
  const week = { days: Array.from({ length: 7 }, (_, i) => ({ day: `2026-12-0${i + 1}`, total: 0, counts: {} })) };
  const counted = withEvents(week, [
    { id: 'a', type: 'channel.follow', received_at_ms: at('2026-12-08T00:00:01Z') },
    { id: 'b', type: 'channel.follow', received_at_ms: at('2026-11-30T12:00:00Z') },
  ]);
  assert.deepEqual(counted.days.map((d) => d.day), ['2026-12-02', '2026-12-03', '2026-12-04', '2026-12-05', '2026-12-06', '2026-12-07', '2026-12-08']);
  assert.deepEqual(counted.days[6], { day: '2026-12-08', total: 1, counts: { 'channel.follow': 1 } });
  assert.equal(counted.days.reduce((n, d) => n + d.total, 0), 1);
});

const online = { event_type: 'stream.online', backlog: false };
const offline = { event_type: 'stream.offline', backlog: false };

test("an event's word stands until the server's own answer changes after it", () => {
  const changed = [];
  const onAir = new OnAir((id) => changed.push(id));
  onAir.fromServer('7', false);
  onAir.fromFrame('7', online);
  assert.equal(onAir.live('7'), true);
  onAir.fromServer('7', false); // the poller has not looked since
  assert.equal(onAir.live('7'), true);
  onAir.fromServer('7', true); // it has: the server speaks again
  onAir.fromServer('7', false);
  assert.equal(onAir.live('7'), false);
  // Known, live, offline: three changes, none for the answers that changed nothing.
  assert.deepEqual(changed, ['7', '7', '7']);
});

test('unknown to the server when the event came: the first answer after it is where change is counted from', () => {
  const onAir = new OnAir();
  onAir.fromFrame('8', online);
  onAir.fromServer('8', false); // an older look
  assert.equal(onAir.live('8'), true);
  onAir.fromFrame('8', offline);
  assert.equal(onAir.live('8'), false);
});

test('the backlog and other kinds of event say nothing of being live', () => {
  const onAir = new OnAir();
  onAir.fromFrame('9', { ...online, backlog: true });
  onAir.fromFrame('9', { event_type: 'channel.follow', backlog: false });
  assert.equal(onAir.live('9'), null);
});
