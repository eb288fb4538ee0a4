// The insights beside the feed, read from the read API now and then and
// counted live in between (Insights, at the end), drawn as SVG by hand (no
// library, no build step):
// - viewers over the last 24 hours or 7 days (the read API's downsampled
//   series: the highest count per bucket), with the streamer's events marked
//   on the line, one marker per category per bucket, so a raid's marker sits
//   right before the jump it caused;
// - events per category per day, as stacked bars with the day's total.
// Every marker and bar is focusable and named (what, how many, when), so
// the numbers are there from the keyboard and for screen readers, not only
// on hover. Colours come from style.css (one per category, light and dark),
// and each category also has its own marker shape.

import { CATEGORIES, categoryOf } from './filters.js';
import { eventsSince } from './feed.js';
import { dayGapText } from './gaps.js';

const NS = 'http://www.w3.org/2000/svg';
const $ = (id) => document.getElementById(id);
const HEIGHT = 220;
const PAD = { left: 44, right: 12, top: 14, bottom: 26 };
/** A generous width of one character of a 12 px axis label. */
const LABEL_CHAR_PX = 7;
/** The feed's categories ('other' last, for types the page does not list). */
const KINDS = CATEGORIES;

function el(name, attrs = {}, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayAndClock = new Intl.DateTimeFormat(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });
const weekday = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
const shortDay = new Intl.DateTimeFormat(undefined, { weekday: 'short' });

/** A marker's outline for `kind`, centred on (x, y): the shape tells kinds apart without colour. */
function shape(kind, x, y) {
  const r = 5;
  const paths = {
    raids: `M${x},${y - r - 1}L${x + r + 1},${y + r}L${x - r - 1},${y + r}Z`,
    cheers: `M${x},${y - r - 1}L${x + r + 1},${y}L${x},${y + r + 1}L${x - r - 1},${y}Z`,
    follows: `M${x - r + 1},${y - r + 1}h${2 * r - 2}v${2 * r - 2}h${-(2 * r - 2)}Z`,
    hype: `M${x - r - 1},${y - r}L${x + r + 1},${y - r}L${x},${y + r + 1}Z`,
    redemptions: `M${x - 2},${y - r}h4v${r - 2}h${r - 2}v4h${-(r - 2)}v${r - 2}h-4v${-(r - 2)}h${-(r - 2)}v-4h${r - 2}Z`,
    stream: `M${x - 1.5},${y - r - 2}h3v${2 * r + 4}h-3Z`,
    polls: `M${x - r},${y + r}v-4h3v4ZM${x - 1.5},${y + r}v${-2 * r}h3v${2 * r}ZM${x + r - 3},${y + r}v-7h3v7Z`,
    moderation: `M${x - r},${y - r + 2}l2,-2l${r - 2},${r - 2}l${r - 2},${-(r - 2)}l2,2l${-(r - 2)},${r - 2}l${r - 2},${r - 2}l-2,2l${-(r - 2)},${-(r - 2)}l${-(r - 2)},${r - 2}l-2,-2l${r - 2},${-(r - 2)}Z`,
  };
  if (paths[kind]) return el('path', { d: paths[kind], class: `shape k-${kind}` });
  return el('circle', { cx: x, cy: y, r, class: `shape k-${kind}` });
}

/** A small swatch of `kind`'s marker, for legends. */
export function swatch(kind) {
  const svg = el('svg', { viewBox: '0 0 14 14', width: 14, height: 14, 'aria-hidden': 'true', class: 'swatch' });
  svg.append(shape(kind, 7, 7));
  return svg;
}

/** The viewer count the line shows at `t` (between two points: interpolated; outside: none). */
function viewersAt(points, t, gapMs) {
  let before = null;
  for (const p of points) {
    if (p.at_ms > t) {
      if (!before) return p.at_ms - t <= gapMs ? p.viewers : null;
      if (p.at_ms - before.at_ms > gapMs) return null;
      const f = (t - before.at_ms) / (p.at_ms - before.at_ms);
      return before.viewers + f * (p.viewers - before.viewers);
    }
    before = p;
  }
  return before && t - before.at_ms <= gapMs ? before.viewers : null;
}

/** Events grouped per category per bucket: [{kind, at, events}], oldest first. */
function groupEvents(events, fromMs, bucketMs) {
  const groups = new Map();
  for (const e of events) {
    const kind = categoryOf(e.type);
    const bucket = Math.floor((e.received_at_ms - fromMs) / bucketMs);
    const key = `${kind}:${bucket}`;
    if (!groups.has(key)) groups.set(key, { kind, events: [] });
    groups.get(key).events.push(e);
  }
  return [...groups.values()]
    .map((g) => ({ ...g, at: Math.min(...g.events.map((e) => e.received_at_ms)) }))
    .sort((a, b) => a.at - b.at);
}

function kindLabel(kind) {
  return KINDS.find((k) => k.id === kind)?.label ?? kind;
}

/** What a marker says: the event itself when alone, else how many of what, when. */
function markerLabel(group, week) {
  const when = (week ? dayAndClock : clock).format(new Date(group.at));
  const n = group.events.length;
  if (n === 1) {
    const e = group.events[0];
    return `${kindLabel(group.kind)} at ${when}: ${e.summary?.text ?? e.type}`;
  }
  const last = Math.max(...group.events.map((e) => e.received_at_ms));
  return `${kindLabel(group.kind)}: ${n} events, ${when} to ${clock.format(new Date(last))}`;
}

/**
 * Draws the viewer series (`{points: [{at_ms, viewers}], from_ms, to_ms,
 * bucket_ms}`) into `svg` with `events` (read-API events) marked on the
 * line, and fills `legend` with the categories present and their counts.
 */
export function drawViewers(svg, series, events, legend, { week = false } = {}) {
  const width = Math.max(280, Math.round(svg.getBoundingClientRect().width) || 640);
  const points = series?.points ?? [];
  const fromMs = series?.from_ms ?? Date.now() - 86_400_000;
  const toMs = Math.max(series?.to_ms ?? Date.now(), fromMs + 1);
  const bucketMs = series?.bucket_ms ?? 300_000;
  const inWindow = events.filter((e) => e.received_at_ms >= fromMs && e.received_at_ms <= toMs);
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${width} ${HEIGHT}`);
  svg.setAttribute('height', HEIGHT);
  svg.dataset.points = String(points.length);
  svg.dataset.from = String(points[0]?.at_ms ?? '');
  svg.dataset.span = week ? 'week' : 'day';
  const vMax = Math.max(1, ...points.map((p) => p.viewers));
  const x = (t) => PAD.left + ((t - fromMs) / (toMs - fromMs)) * (width - PAD.left - PAD.right);
  const y = (v) => HEIGHT - PAD.bottom - (v / vMax) * (HEIGHT - PAD.top - PAD.bottom);

  svg.append(el('line', { x1: PAD.left, y1: y(0), x2: width - PAD.right, y2: y(0), class: 'axis' }));
  for (const v of [...new Set([0, Math.round(vMax / 2), vMax])]) {
    svg.append(el('line', { x1: PAD.left, y1: y(v), x2: width - PAD.right, y2: y(v), class: 'grid' }));
    svg.append(el('text', { x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'label' }, Math.round(v).toLocaleString()));
  }
  // Time ticks: each midnight over a week, every few hours over a day.
  const ticks = [];
  const step = week ? 86_400_000 : (width < 480 ? 6 : 3) * 3_600_000;
  const first = new Date(fromMs);
  if (week) first.setHours(24, 0, 0, 0);
  else first.setHours(Math.ceil((first.getHours() + 1) / (step / 3_600_000)) * (step / 3_600_000), 0, 0, 0);
  for (let t = first.getTime(); t < toMs; t += step) ticks.push(t);
  // A label is skipped (its tick stays) where it would run into the one before.
  let lastRight = -Infinity;
  for (const t of ticks) {
    svg.append(el('line', { x1: x(t), y1: y(0), x2: x(t), y2: y(0) + 4, class: 'axis' }));
    const text = week ? (width < 480 ? shortDay : weekday).format(new Date(t)) : clock.format(new Date(t));
    const half = text.length * LABEL_CHAR_PX / 2;
    // A label near the right edge ends at its tick instead of running off.
    const end = x(t) + half > width - 2;
    const left = end ? x(t) - 2 * half : x(t) - half;
    if (left < lastRight + 6) continue;
    lastRight = end ? x(t) : x(t) + half;
    svg.append(el('text', { x: x(t), y: HEIGHT - 8, 'text-anchor': end ? 'end' : 'middle', class: 'label' }, text));
  }
  if (points.length === 0) {
    svg.append(el('text', { x: width / 2, y: HEIGHT / 2, 'text-anchor': 'middle', class: 'empty' }, 'Not seen live in this time'));
  }
  // The line breaks where the stream was offline (no poll for two buckets).
  const gapMs = 2 * bucketMs;
  let run = [];
  const flush = () => {
    if (run.length > 1) svg.append(el('polyline', { points: run.map((p) => `${x(p.at_ms).toFixed(1)},${y(p.viewers).toFixed(1)}`).join(' '), class: 'line' }));
    else if (run.length === 1) svg.append(el('circle', { cx: x(run[0].at_ms), cy: y(run[0].viewers), r: 2.5, class: 'dot' }));
    run = [];
  };
  for (const p of points) {
    if (run.length && p.at_ms - run[run.length - 1].at_ms > gapMs) flush();
    run.push(p);
  }
  flush();

  const markers = el('g', { class: 'markers', role: 'list', 'aria-label': 'Events on the line' });
  // Kinds that share a bucket stand one above the other, not on top of each other.
  const stacked = new Map();
  for (const group of groupEvents(inWindow, fromMs, bucketMs)) {
    const v = viewersAt(points, group.at, gapMs);
    const bucket = Math.floor((group.at - fromMs) / bucketMs);
    const above = stacked.get(bucket) ?? 0;
    stacked.set(bucket, above + 1);
    const cx = x(group.at);
    const cy = Math.max(PAD.top, (v === null ? y(0) : y(v)) - above * 13);
    const label = markerLabel(group, week);
    const marker = el('g', { class: `marker k-${group.kind}`, tabindex: 0, role: 'listitem', 'aria-label': label, 'data-kind': group.kind, 'data-at': group.at });
    marker.append(el('title', {}, label), shape(group.kind, cx, cy));
    markers.append(marker);
  }
  svg.append(markers);

  legend.replaceChildren();
  for (const kind of KINDS) {
    const n = inWindow.filter((e) => categoryOf(e.type) === kind.id).length;
    if (n === 0) continue;
    const item = document.createElement('li');
    item.dataset.kind = kind.id;
    item.append(swatch(kind.id), ` ${kind.label} ${n.toLocaleString()}`);
    legend.append(item);
  }
}

/**
 * Draws events per category per day (`stats` of the read API: `days` oldest
 * first, each `{day, total, counts: {type: n}, gaps: [type]}`) as stacked
 * bars; a day a coverage gap touched is marked and said in `gapList`.
 */
export function drawPerDay(svg, stats, legend, gapList = null) {
  gapList?.replaceChildren();
  const days = stats?.days ?? [];
  const width = Math.max(280, Math.round(svg.getBoundingClientRect().width) || 640);
  const height = 180;
  const pad = { left: 8, right: 8, top: 18, bottom: 24 };
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('height', height);
  svg.dataset.days = String(days.length);
  const perKind = days.map((d) => {
    const by = {};
    for (const [type, n] of Object.entries(d.counts)) by[categoryOf(type)] = (by[categoryOf(type)] ?? 0) + n;
    return by;
  });
  const max = Math.max(1, ...days.map((d) => d.total));
  const slot = (width - pad.left - pad.right) / Math.max(1, days.length);
  const barWidth = Math.min(48, slot * 0.6);
  const scale = (n) => (n / max) * (height - pad.top - pad.bottom);
  const bars = el('g', { role: 'list', 'aria-label': 'Days' });
  days.forEach((d, i) => {
    // `day` is a UTC date: shown as that date, whatever the local zone.
    const date = new Date(`${d.day}T12:00:00Z`);
    const name = weekday.format(date);
    const parts = KINDS.filter((k) => perKind[i][k.id]).map((k) => `${k.label} ${perKind[i][k.id].toLocaleString()}`);
    const gap = dayGapText(d.gaps);
    const label = `${name}: ${d.total.toLocaleString()} ${d.total === 1 ? 'event' : 'events'}${parts.length ? ` (${parts.join(', ')})` : ''}${gap ? `. ${gap}` : ''}`;
    const bar = el('g', { class: gap ? 'bar gap' : 'bar', tabindex: 0, role: 'listitem', 'aria-label': label, 'data-day': d.day });
    if (gap && gapList) gapList.append(Object.assign(document.createElement('li'), { textContent: `${name}: ${gap}.` }));
    bar.append(el('title', {}, label));
    const cx = pad.left + slot * i + slot / 2;
    let top = height - pad.bottom;
    for (const k of KINDS) {
      const n = perKind[i][k.id];
      if (!n) continue;
      const h = scale(n);
      top -= h;
      bar.append(el('rect', { x: cx - barWidth / 2, y: top, width: barWidth, height: Math.max(h, 1), class: `seg k-${k.id}` }));
    }
    bar.append(el('text', { x: cx, y: top - 4, 'text-anchor': 'middle', class: 'total' }, d.total.toLocaleString()));
    if (gap) bar.append(el('text', { x: cx + barWidth / 2, y: top - 4, 'text-anchor': 'start', class: 'gap-mark', 'aria-hidden': 'true' }, '⚠'));
    bar.append(el('text', { x: cx, y: height - 8, 'text-anchor': 'middle', class: 'label' }, (slot < 60 ? shortDay : weekday).format(date)));
    bars.append(bar);
  });
  svg.append(el('line', { x1: pad.left, y1: height - pad.bottom, x2: width - pad.right, y2: height - pad.bottom, class: 'axis' }), bars);

  legend.replaceChildren();
  const totals = {};
  for (const by of perKind) for (const [k, n] of Object.entries(by)) totals[k] = (totals[k] ?? 0) + n;
  for (const kind of KINDS) {
    if (!totals[kind.id]) continue;
    const item = document.createElement('li');
    item.dataset.kind = kind.id;
    item.append(swatch(kind.id), ` ${kind.label} ${totals[kind.id].toLocaleString()}`);
    legend.append(item);
  }
}

// Reading. Each read replaces the local tally; between reads each live event
// the feed shows is counted at once. Never twice: a read takes the counts per
// day first and the events after, so the list holds every event the counts
// do; a live event whose id the list holds is the server's already. (One
// stored between the two requests is one too few until the next read.)

/** The chart's spans: how far back, and how many buckets (5 and 30 minutes). */
const SPANS = { day: { ms: 86_400_000, points: 288 }, week: { ms: 7 * 86_400_000, points: 336 } };
/** Days in the events-per-day chart. */
const DAYS = 7;

const json = (r) => (r.ok ? r.json() : null);

/** `stats` (the read API's days, oldest first) with `extra` events counted in. */
export function withEvents(stats, extra) {
  const days = (stats?.days ?? []).map((d) => ({ ...d, counts: { ...d.counts } }));
  for (const e of extra) {
    const day = new Date(e.received_at_ms).toISOString().slice(0, 10);
    let entry = days.find((d) => d.day === day);
    if (!entry) {
      // A new UTC day since the last read: it joins on the right.
      if (days.length && day < days[days.length - 1].day) continue;
      entry = { day, total: 0, counts: {} };
      days.push(entry);
      while (days.length > DAYS) days.shift();
    }
    entry.counts[e.type] = (entry.counts[e.type] ?? 0) + 1;
    entry.total += 1;
  }
  return { ...stats, days };
}

/** A live event frame as the read API words it. */
const eventOf = (f) => ({ id: f.id, type: f.event_type, received_at_ms: f.received_at, cursor: f.cursor, summary: f.summary, event: f.event });

export class Insights {
  /**
   * @param {object} options
   * @param {(id: string, live: boolean) => void} [options.onSeries] what the viewer series says of the streamer being live now
   * @param {(events: number) => void} [options.onRead] a read is done (or failed): how many events it found
   */
  constructor({ onSeries = () => {}, onRead = () => {} } = {}) {
    this.onSeries = onSeries;
    this.onRead = onRead;
    this.span = 'day';
    this.streamer = null;
    this.data = null; // the last read: {series, stats, events}
    this.live = new Map(); // id → event: shown live and not in the last read
    this.generation = 0;
    this.frame = null;
  }

  /** A new streamer: the charts' room shown, empty until read. */
  start() {
    this.clear();
    for (const id of ['viewers', 'per-day', 'viewers-legend', 'per-day-legend', 'per-day-gaps']) $(id).replaceChildren();
    $('insights').hidden = false;
  }

  /** No streamer: nothing shown, nothing kept. */
  clear() {
    this.streamer = null;
    this.data = null;
    this.live.clear();
    this.generation += 1;
    $('insights').hidden = true;
  }

  /** Reads the charts of `streamerId` again (a new streamer starts afresh). */
  async refresh(streamerId) {
    if (!streamerId) return;
    if (streamerId !== this.streamer) {
      this.streamer = streamerId;
      this.data = null;
      this.live.clear();
    }
    const generation = ++this.generation;
    const base = `api/streamers/${encodeURIComponent(streamerId)}`;
    const { ms, points } = SPANS[this.span];
    const from = Date.now() - ms;
    try {
      const [series, stats] = await Promise.all([
        fetch(`${base}/viewers?from=${from}&points=${points}`, { cache: 'no-store' }).then(json),
        fetch(`${base}/stats?days=${DAYS}`, { cache: 'no-store' }).then(json),
      ]);
      // After the counts: see "Reading" above.
      const events = await eventsSince(streamerId, from);
      if (generation !== this.generation) return;
      const ids = new Set(events.map((e) => e.id));
      for (const id of [...this.live.keys()]) if (ids.has(id)) this.live.delete(id);
      this.data = { series, stats, events, week: this.span === 'week' };
      const last = series?.points?.[series.points.length - 1];
      // Live now: polled in the last two buckets, ten minutes at most.
      if (series) this.onSeries(streamerId, Boolean(last && series.to_ms - last.at_ms <= Math.min(2 * series.bucket_ms, 600_000)));
      $('insights').hidden = false;
      this.draw();
    } catch {
      // The feed works without the read API (e.g. served elsewhere).
    }
    if (generation === this.generation) this.onRead(this.data?.events.length ?? 0);
  }

  /** A live event the feed has just shown (once per id): counted at once. */
  add(frame) {
    if (frame.broadcaster !== this.streamer) return;
    if (this.data?.events.some((e) => e.id === frame.id)) return;
    this.live.set(frame.id, eventOf(frame));
    // A burst of events is drawn once, on the next frame.
    if (this.frame === null) {
      this.frame = requestAnimationFrame(() => {
        this.frame = null;
        this.draw();
      });
    }
  }

  /** Draws the last read with the live events on top, keeping the keyboard focus. */
  draw() {
    if (!this.data || $('insights').hidden || $('charts').hidden) return;
    const { series, stats, events, week } = this.data;
    const extra = [...this.live.values()];
    const focused = document.activeElement?.closest?.('#insights [data-day], #insights [data-kind][data-at]');
    const key = focused && (focused.dataset.day ? `.bar[data-day="${focused.dataset.day}"]` : `.marker[data-kind="${focused.dataset.kind}"]`);
    $('viewers-span').textContent = week ? 'last 7 days, highest per 30 minutes' : 'last 24 hours, highest per 5 minutes';
    const now = Math.max(series?.to_ms ?? 0, ...extra.map((e) => e.received_at_ms));
    drawViewers($('viewers'), series && { ...series, to_ms: now }, [...extra, ...events], $('viewers-legend'), { week });
    drawPerDay($('per-day'), withEvents(stats, extra), $('per-day-legend'), $('per-day-gaps'));
    if (key) {
      const again = [...$('insights').querySelectorAll(key)].pop();
      again?.focus();
    }
  }
}
