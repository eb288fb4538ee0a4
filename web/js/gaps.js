// Gaps in the feed: where this site was not receiving some kinds of event
// (Twitch revoked a subscription, the broadcaster withdrew permission, the
// site's address was still being checked), drawn as a line at its place in
// time, in words: "Follows, Cheers may be missing from 14:02 to 14:17:
// Twitch stopped sending them after deliveries to this site failed; 3
// recovered." From GET /api/streamers/{id}/coverage.

import { CATEGORIES, categoryOf } from './filters.js';

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

/** Category names, comma-separated: some have "and" in them ("Subs and gifts"). */
function listOf(words) {
  return words.join(', ');
}

/** A time, with its day when it is not today. */
function when(ms, now) {
  const at = new Date(ms);
  return at.toDateString() === new Date(now).toDateString() ? timeFormat.format(at) : dayFormat.format(at);
}

/** The window as a line says it: "since 14:50" or "from 14:02 to 14:17". */
function spanOf(g, now) {
  return g.to_ms == null ? `since ${when(g.from_ms, now)}` : `from ${when(g.from_ms, now)} to ${when(g.to_ms, now)}`;
}

/**
 * The lines to draw: gaps that read the same (window to the minute, and
 * cause) are one line (a revocation ends every kind at once, each from its
 * own last delivery), newest first, each `{ fromMs, toMs, open, text }`.
 */
export function gapLines(gaps, now = Date.now()) {
  const groups = new Map();
  for (const g of gaps) {
    const key = `${spanOf(g, now)}|${g.cause}`;
    if (!groups.has(key)) groups.set(key, { ...g, categories: new Set(), found: 0, recovering: false });
    const group = groups.get(key);
    group.from_ms = Math.min(group.from_ms, g.from_ms);
    if (g.to_ms != null) group.to_ms = Math.max(group.to_ms, g.to_ms);
    group.categories.add(categoryOf(g.type));
    group.found += (g.recovered?.exact ?? 0) + (g.recovered?.approximate ?? 0);
    if (g.state !== 'closed') group.recovering ||= g.state === 'recovering';
  }
  return [...groups.values()].map((g) => {
    const names = CATEGORIES.filter((c) => g.categories.has(c.id)).map((c) => c.label);
    let text = `${listOf(names)} may be missing ${spanOf(g, now)}: ${g.cause_text}.`;
    if (g.found > 0) text += ` ${g.found} recovered.`;
    else if (g.recovering) text += ' Recovering what Twitch still knows…';
    return { fromMs: g.from_ms, toMs: g.to_ms ?? now, open: g.to_ms == null, text };
  }).sort((a, b) => b.toMs - a.toMs);
}

/** Draws `lines` in the newest-first `list` of events, in place of any drawn before. */
export function drawGaps(list, lines) {
  for (const old of list.querySelectorAll(':scope > li.gap')) old.remove();
  for (const line of lines) {
    const item = document.createElement('li');
    item.className = 'gap';
    // Where the gap ends: newer events above it, older below.
    item.dataset.receivedAt = String(line.toMs);
    item.textContent = line.text;
    let before = list.firstElementChild;
    while (before && Number(before.dataset.receivedAt) > line.toMs) before = before.nextElementSibling;
    list.insertBefore(item, before);
  }
}

/**
 * What a day of the events-per-day chart says when a gap touched it (the
 * stats' `gaps`: the types this site was not receiving for part of that
 * day), or null when it was covered: "Follows, Cheers may be missing: this
 * site was not receiving them for part of the day".
 */
export function dayGapText(types) {
  if (!types?.length) return null;
  const kinds = new Set(types.map(categoryOf));
  const names = CATEGORIES.filter((c) => kinds.has(c.id)).map((c) => c.label);
  return `${listOf(names)} may be missing: this site was not receiving them for part of the day`;
}

/** Reads `streamer`'s gaps over the last `days` and draws them in `list`. */
export async function showGaps(list, streamer, days = 7) {
  const to = Date.now();
  try {
    const response = await fetch(`api/streamers/${encodeURIComponent(streamer)}/coverage?from=${to - days * 86_400_000}&to=${to}`, { cache: 'no-store' });
    if (!response.ok) return;
    const body = await response.json();
    if (body.streamer_id === streamer) drawGaps(list, gapLines(body.gaps, to));
  } catch {
    // Coverage is extra: the feed stands without it.
  }
}
