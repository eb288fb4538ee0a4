// The feed's gap lines from the coverage API's gaps: grouped, in words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dayGapText, gapLines } from '../js/gaps.js';

const at = (h, m) => new Date(2026, 11, 7, h, m).getTime();
// Times as this machine's locale writes them (the page uses the visitor's).
const hm = (ms) => new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }).format(ms);
const dayHm = (ms) => new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }).format(ms);
const now = at(15, 0);
const gap = (type, from, to, extra = {}) => ({
  type, from_ms: from, to_ms: to, cause: 'notification_failures_exceeded',
  cause_text: 'Twitch stopped sending them after deliveries to this site failed',
  state: 'closed', recovered: { exact: 0, approximate: 0 }, ...extra,
});

test('gaps of one window and cause are one line, in the feed\'s words, with what was recovered', () => {
  const lines = gapLines([
    gap('channel.follow', at(14, 2), at(14, 17), { recovered: { exact: 3, approximate: 0 } }),
    gap('channel.subscribe', at(14, 2), at(14, 17)),
    gap('channel.subscription.gift', at(14, 2), at(14, 17)),
    gap('channel.cheer', at(14, 2), at(14, 17), { recovered: { exact: 0, approximate: 1 } }),
  ], now);
  assert.equal(lines.length, 1);
  assert.equal(lines[0].text, `Follows, Subs and gifts, Cheers may be missing from ${hm(at(14, 2))} to ${hm(at(14, 17))}: Twitch stopped sending them after deliveries to this site failed. 4 recovered.`);
  assert.equal(lines[0].toMs, at(14, 17));
});

test('an open gap reaches to now; a recovering one says so; other windows are lines of their own, newest first', () => {
  const lines = gapLines([
    gap('channel.raid', at(9, 0), at(9, 30), { state: 'recovering' }),
    gap('channel.follow', at(14, 50), null, { state: 'open', cause: 'authorization_revoked', cause_text: 'the broadcaster withdrew this site\'s permission' }),
  ], now);
  assert.equal(lines.length, 2);
  assert.equal(lines[0].text, `Follows may be missing since ${hm(at(14, 50))}: the broadcaster withdrew this site's permission.`);
  assert.equal(lines[0].open, true);
  assert.equal(lines[0].toMs, now);
  assert.match(lines[1].text, /^Raids may be missing from .+: .*\. Recovering what Twitch still knows…$/);
  assert.ok(lines[1].text.includes(`from ${hm(at(9, 0))} to ${hm(at(9, 30))}`), lines[1].text);
});

test('a gap on another day names the day', () => {
  const [from, to] = [at(14, 2) - 86_400_000, at(14, 17) - 86_400_000];
  const [line] = gapLines([gap('channel.follow', from, to)], now);
  assert.ok(line.text.includes(`from ${dayHm(from)} to ${dayHm(to)}`), line.text);
});

test('gaps that read the same to the minute are one line, however their exact starts differ', () => {
  const lines = gapLines([
    gap('stream.online', at(14, 2) + 10, at(14, 17) + 5),
    gap('stream.offline', at(14, 2) + 20, at(14, 17) + 9),
    gap('channel.raid', at(14, 2) + 30, at(14, 17) + 1),
  ], now);
  assert.equal(lines.length, 1, JSON.stringify(lines));
  assert.match(lines[0].text, /^Raids, Stream and channel may be missing/);
  assert.equal(lines[0].fromMs, at(14, 2) + 10);
  assert.equal(lines[0].toMs, at(14, 17) + 9);
});

test('a day a gap touched says which kinds its counts may be short of; a covered day says nothing', () => {
  assert.equal(dayGapText(['channel.cheer', 'channel.follow', 'channel.subscribe', 'channel.subscription.gift']),
    'Follows, Subs and gifts, Cheers may be missing: this site was not receiving them for part of the day');
  assert.equal(dayGapText([]), null);
  assert.equal(dayGapText(undefined), null);
});
