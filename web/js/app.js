// Wires the page: the streamer picker (remembered in the URL's #hash), the
// connection status line, the error line, the feed and what follows it live
// (the charts, the live marks). The layout keeps room for whatever loads
// later (style.css); what would be pushed down by the feed's backlog waits
// for it (see `reading` and `holdFeed`).

import { LiveConnection, inWords } from './live.js';
import { PollingConnection } from './poll.js';
import { Feed, frameOf } from './feed.js';
import { Insights } from './chart.js';
import { Account, OnAir } from './account.js';
import { showEmbeds } from './embeds.js';
import { Filters } from './filters.js';
import { loadLabels } from './labels.js';
import { showArriving } from './arriving.js';
import { OverlayPanel } from './overlay-panel.js';
import { showGaps } from './gaps.js';

const CHART_REFRESH_MS = 60_000;
/** How often the favourites' live states are read again. */
const FAVOURITES_REFRESH_MS = 60_000;
/** How long after the newest event a watched favourite is marked read. */
const AUTO_READ_MS = 2_000;
/** Events a subscription's backlog holds at most (the socket's; polling's is more). */
const BACKLOG = 10;
/** How long the charts wait for the feed's backlog at most. */
const REVEAL_MS = 1_000;
/** A pause this long in the backlog's frames ends it. */
const QUIET_MS = 150;

const $ = (id) => document.getElementById(id);

async function loadConfig() {
  try {
    const response = await fetch('config.json', { cache: 'no-store' });
    if (response.ok) return await response.json();
  } catch {
    // Served without a config: assume the WebSocket lives next to the page.
  }
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return { websocket_url: `${scheme}//${location.host}/ws`, ticket_url: null, login_url: '/auth/login', embeds: true };
}

/** The charts' show/hide switch (remembered in this browser) and the 24 h / 7 days switch. */
function wireCharts(insights) {
  const key = 'streamer-events:charts';
  const show = (open) => {
    $('charts').hidden = !open;
    $('span').hidden = !open;
    $('charts-toggle').setAttribute('aria-expanded', String(open));
    if (open) insights.draw();
  };
  show(localStorage.getItem(key) !== 'hidden');
  $('charts-toggle').addEventListener('click', () => {
    const open = $('charts').hidden;
    localStorage.setItem(key, open ? 'shown' : 'hidden');
    show(open);
  });
  for (const button of document.querySelectorAll('#span button')) {
    button.addEventListener('click', () => {
      insights.span = button.dataset.span;
      for (const b of document.querySelectorAll('#span button')) b.setAttribute('aria-pressed', String(b === button));
      insights.refresh(insights.streamer);
    });
  }
}

function setStatus(state, text) {
  const status = $('status');
  status.dataset.state = state;
  status.textContent = text;
}

function showError(text) {
  const error = $('error');
  error.hidden = !text;
  error.textContent = text ?? '';
}

async function main() {
  let watching = null; // what the person typed (a login or an id)
  let grantedBy = null; // the login that just let this site read its channel
  // A streamer's key for its on-air state: a favourite's id, else the name watched.
  const keyOf = (name) => account.favourite(name)?.id ?? name;
  const onAir = new OnAir(() => {
    if (account.me) account.renderFavourites();
    showOnAir();
  });
  const showOnAir = () => {
    const id = connection?.subscribed;
    $('on-air').hidden = !(id && onAir.live(keyOf(id)));
  };
  // While a streamer's feed is first read, what sits below or beside it waits
  // (style.css): shown before the backlog, it would be pushed down by it.
  // It shows once the charts are read and the feed holds the backlog they
  // imply (a second after the server's answer at most).
  let listed = null; // events the charts' read found, once done
  let revealTimer = null;
  const reading = (on) => {
    listed = null;
    clearTimeout(revealTimer);
    if (on) $('board').dataset.reading = '';
    else {
      delete $('board').dataset.reading;
      feed.onChange(feed.size);
    }
  };
  const revealWhenRead = () => {
    if (listed !== null && feed.size >= Math.min(listed, BACKLOG) && $('feed').dataset.waiting === undefined) reading(false);
  };
  let feedTimer = null;
  let backlogFrames = 0; // of the backlog the feed waits for
  const holdFeed = (ms) => {
    clearTimeout(feedTimer);
    feedTimer = setTimeout(() => {
      delete $('feed').dataset.waiting;
      // A socket's backlog short of full is all there is: nothing older to show.
      if (!(connection instanceof PollingConnection) && backlogFrames < BACKLOG) olderMore = false;
      feed.onChange(feed.size);
    }, ms);
  };
  const insights = new Insights({
    onRead: (n) => { listed = n; revealWhenRead(); },
    // The series speaks for a streamer who is not a favourite (/api/me does for those).
    onSeries: (id, live) => { if (!account.favourite(id)) onAir.fromServer(keyOf(id), live); },
  });
  // An empty feed offers nothing to mark or page back to.
  let olderMore = false; // the server has events older than the feed shows
  const feed = new Feed($('feed'), (size) => {
    // Said once the feed is read, not while it is.
    $('empty').hidden = size > 0 || !connection?.subscribed || $('board').dataset.reading !== undefined;
    $('older').hidden = size === 0 || !olderMore || $('feed').dataset.waiting !== undefined;
    $('mark-read').hidden = size === 0 || !account.favourite(connection?.subscribed);
    revealWhenRead();
  });
  // The filters are drawn at once (their room is taken before anything loads),
  // then again with what this user chose.
  const filters = new Filters($('filters'), (hidden) => feed.setHidden(hidden));
  filters.use(null);
  wireCharts(insights);
  // The feed words each type with the server's label: read before any row.
  const [config] = await Promise.all([loadConfig(), loadLabels()]);
  // Logged in: the WebSocket. Logged out: the read API, read again every few
  // seconds (poll.js); the same frames either way.
  let connection = null;
  const toPolling = () => {
    connection?.stop();
    connection = new PollingConnection(handlers);
  };
  const handlers = {
    onState(state, detail = {}) {
      if (state === 'logged-out') {
        // The session ended while the page was open: keep watching, read-only.
        toPolling();
        if (watching) connection.watch(watching);
      } else if (state === 'polling') {
        showError(null);
        setStatus('polling', `Watching ${watching} · new events every ${Math.round(detail.everyMs / 1000)} s`);
      } else if (state === 'stopped') {
        setStatus('error', 'Not watching');
      } else if (state === 'live') {
        showError(null);
        setStatus('live', `Watching ${watching ?? detail.broadcaster} · connected`);
      } else if (state === 'reconnecting') {
        setStatus('reconnecting', `${inWords(detail.reason)}: trying again in ${Math.max(1, Math.round(detail.delay / 1000))} s`);
      } else {
        setStatus('connecting', 'Connecting…');
      }
    },
    onFrame(frame) {
      if (frame.type === 'subscribed') {
        account.setWatching(frame.broadcaster);
        // An empty feed stays unseen while its backlog comes in (newest on top,
        // so each frame would push the rows before it down): all at once, as
        // soon as a full backlog is in, or once the frames pause.
        if (feed.size === 0) {
          $('feed').dataset.waiting = '';
          backlogFrames = 0;
          holdFeed(frame.polling ? 0 : QUIET_MS);
        }
        if ($('board').dataset.reading !== undefined && listed === null) {
          clearTimeout(revealTimer);
          revealTimer = setTimeout(() => reading(false), REVEAL_MS);
        }
        insights.refresh(frame.broadcaster);
        showGaps($('feed'), frame.broadcaster);
        showArriving($('arriving'), frame.broadcaster, {
          loggedIn: account.me !== null,
          allowHref: account.loginHref(true),
          granted: grantedBy !== null && account.favourite(grantedBy)?.id === frame.broadcaster,
        });
        showOnAir();
        olderMore = true;
        const base = `api/streamers/${encodeURIComponent(frame.broadcaster)}/events`;
        $('export-csv').href = `${base}.csv`;
        $('export-jsonl').href = `${base}.jsonl`;
        $('exports').hidden = false;
        const fav = account.favourite(frame.broadcaster);
        feed.onChange(feed.size);
        // The backlog follows this frame: draw the line once it is in.
        if (fav) setTimeout(() => feed.markRead(fav.read_at_ms), 0);
        const login = frame.requested ?? account.loginOf(frame.broadcaster) ?? (/^\d+$/.test(watching) ? null : watching);
        if (login && $('watch').dataset.login !== login) showEmbeds($('watch'), login, { enabled: config.embeds !== false });
      }
      if (frame.type === 'event') {
        // The charts count what is new to the feed and not the backlog (the
        // server's counts hold that already).
        if (feed.add(frame) && !frame.backlog) insights.add(frame);
        if (frame.backlog && $('feed').dataset.waiting !== undefined) {
          backlogFrames += 1;
          holdFeed(backlogFrames >= BACKLOG ? 0 : QUIET_MS);
        }
        const fav = account.favourite(frame.broadcaster);
        if (fav && frame.backlog) feed.markRead(fav.read_at_ms);
        if (fav) readWhileWatching();
        // Going live or offline: the badges follow at once.
        onAir.fromFrame(keyOf(frame.broadcaster), frame);
      }
      else if (frame.type === 'error') {
        showError(`${frame.message} (${frame.code})`);
        if (['invalid_broadcaster', 'unknown_streamer'].includes(frame.code)) {
          setStatus('error', 'Not watching');
          // Nothing of the streamer watched before stays.
          insights.clear();
          reading(false);
          for (const id of ['exports', 'watch', 'arriving']) $(id).hidden = true;
        }
      }
    },
  };

  // Watching a favourite marks it read as its events are seen (the tab in
  // view), a moment after the newest one: its "new" count is what arrived
  // while the person was not looking. The line drawn at the old marker stays
  // for this visit.
  let autoRead = null;
  const readWhileWatching = () => {
    clearTimeout(autoRead);
    autoRead = setTimeout(async () => {
      const fav = account.favourite(connection?.subscribed);
      const newest = feed.newest();
      if (!fav || !newest || document.visibilityState !== 'visible') return;
      if (fav.read_at_ms != null && newest.at <= fav.read_at_ms) return;
      await account.markRead(fav.login, newest.cursor);
    }, AUTO_READ_MS);
  };
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && account.favourite(connection?.subscribed)) readWhileWatching();
  });

  const input = $('broadcaster');
  const account = new Account({
    config,
    onWatch: (login) => {
      input.value = login;
      watch(login);
    },
    onError: showError,
    onAir,
  });
  account.panel = new OverlayPanel();
  const loggedIn = await account.load();
  if (loggedIn || config.open) connection = new LiveConnection({ config, ...handlers });
  else toPolling();
  filters.use(account.me?.user?.id);
  setInterval(() => account.me && account.load(), FAVOURITES_REFRESH_MS);
  $('add-favourite').addEventListener('submit', async (event) => {
    event.preventDefault();
    const field = $('favourite');
    const login = field.value.trim();
    if (login && (await account.add(login))) {
      field.value = '';
      input.value = login;
      watch(login);
    }
  });
  $('revoke-overlay').addEventListener('click', () => account.revokeOverlay());
  $('reset-overlay').addEventListener('click', () => account.resetOverlay());
  $('copy-overlay').addEventListener('click', () => account.copyOverlay());
  $('logout').addEventListener('click', async () => {
    toPolling();
    await account.logout();
    // Nothing of the session stays on screen.
    watching = null;
    olderMore = false;
    feed.clear();
    insights.clear();
    reading(false);
    for (const id of ['older', 'mark-read', 'exports', 'watch', 'on-air', 'arriving']) $(id).hidden = true;
    $('watching').textContent = '';
    history.replaceState(null, '', location.pathname);
    setStatus('idle', 'Logged out');
  });
  const watch = (broadcaster) => {
    if (!broadcaster || broadcaster === watching) return;
    watching = broadcaster;
    olderMore = false;
    feed.clear();
    // The charts' room is kept from now on; they fill in once read.
    reading(true);
    insights.start();
    $('on-air').hidden = true;
    showError(null);
    $('watching').textContent = `· ${broadcaster}`;
    history.replaceState(null, '', `#${encodeURIComponent(broadcaster)}`);
    // The player takes a login: by id, it waits for the server's answer.
    const login = /^\d+$/.test(broadcaster) ? account.loginOf(broadcaster) : broadcaster;
    if (login) showEmbeds($('watch'), login, { enabled: config.embeds !== false });
    connection.watch(broadcaster);
  };
  $('mark-read').addEventListener('click', async () => {
    const fav = account.favourite(connection.subscribed);
    const cursor = feed.newestCursor();
    if (fav && cursor && (await account.markRead(fav.login, cursor))) {
      feed.markRead(null);
    }
  });
  // Older events, a page at a time, below what is shown; live ones keep
  // arriving on top, and the feed drops any id it already has.
  $('older').addEventListener('click', async () => {
    const id = connection.subscribed;
    if (!id) return;
    const cursor = feed.oldestCursor();
    const url = `api/streamers/${encodeURIComponent(id)}/events?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    try {
      const response = await fetch(url, { cache: 'no-store' });
      const page = await response.json();
      if (!response.ok) throw new Error(`${page.message} (${page.error})`);
      for (const e of page.events) feed.add(frameOf(id, e));
      olderMore = Boolean(page.next);
      feed.onChange(feed.size);
    } catch (error) {
      showError(`Could not load older events: ${error.message}`);
    }
  });
  $('picker').addEventListener('submit', (event) => {
    event.preventDefault();
    watch(input.value.trim());
  });
  // Back from "let Streamer Events read your channel": watch that channel,
  // and "What arrives" says what the grant lets this site receive.
  const granted = new URLSearchParams(location.search).get('granted') === '1' && account.me;
  if (granted) {
    history.replaceState(null, '', location.pathname);
    grantedBy = account.me.user.login;
  }
  const initial = granted ? grantedBy : decodeURIComponent(location.hash.slice(1));
  if (initial) {
    input.value = initial;
    watch(initial);
  }
  setInterval(() => {
    insights.refresh(connection.subscribed);
    if (connection.subscribed) showGaps($('feed'), connection.subscribed);
  }, CHART_REFRESH_MS);
  // The charts are drawn at their width: again when it changes (a rotated phone).
  let width = $('insights').clientWidth;
  new ResizeObserver(() => {
    const now = $('insights').clientWidth;
    if (now !== width) insights.draw();
    width = now;
  }).observe($('insights'));
  window.streamerEvents = {
    get connection() { return connection; },
    feed, account, filters, insights, onAir,
    refreshInsights: () => insights.refresh(connection.subscribed),
  };
}

main();
