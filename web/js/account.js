// Who is logged in, and their favourites: `GET /api/me`, favourites added
// and removed with `PUT`/`DELETE /api/me/favourites/{login}`, logout with
// `POST /auth/logout`. Every state-changing request is same-origin JSON
// (the server also checks Origin). Text goes in with textContent only.
// A favourite's live badge is what OnAir (below) says: the poller's word, or
// a newer stream.online / stream.offline from the feed.

const $ = (id) => document.getElementById(id);

async function call(method, url) {
  const response = await fetch(url, {
    method,
    cache: 'no-store',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: method === 'GET' ? undefined : '{}',
  });
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Empty or not JSON: the status says enough.
  }
  return { status: response.status, ok: response.ok, body };
}

export class Account {
  /**
   * @param {object} options
   * @param {(login: string) => void} options.onWatch a favourite was clicked
   * @param {(text: string|null) => void} options.onError shows a message
   */
  constructor({ config, onWatch, onError, onAir = null }) {
    this.config = config;
    this.onAir = onAir; // who is on air: the server's word, or a newer event's
    this.onWatch = onWatch;
    this.onError = onError;
    this.me = null;
    this.watching = null; // the favourite being watched: its badge is hidden
  }

  /** The streamer (id) being watched now: no "new" badge on it. */
  setWatching(id) {
    this.watching = id;
    if (this.me) this.renderFavourites();
  }

  /** Reads `/api/me` and shows the account area; true when logged in. */
  async load() {
    if (this.config.session_cookie === false) {
      // No session cookie, so no session: not asked (no 401 on every load).
      this.me = null;
      this.render();
      return false;
    }
    const { status, body } = await call('GET', 'api/me');
    this.me = status === 200 ? body : null;
    for (const f of this.me?.favourites ?? []) this.onAir?.fromServer(f.id, Boolean(f.live));
    this.render();
    return this.me !== null;
  }

  loginHref(channel) {
    const back = `/${location.hash}`;
    const base = this.config.login_url ?? '/auth/login';
    return `${base}?return_to=${encodeURIComponent(back)}${channel ? '&channel=1' : ''}`;
  }

  render() {
    const loggedIn = this.me !== null;
    $('logged-in').hidden = !loggedIn;
    $('logged-out').hidden = loggedIn;
    $('pitch').hidden = loggedIn;
    $('favourites-section').hidden = !loggedIn;
    $('login').href = this.loginHref(false);
    $('login-channel').href = this.loginHref(true);
    if (!loggedIn) return;
    const { user } = this.me;
    $('me-name').textContent = user.display_name || user.login;
    const avatar = $('avatar');
    avatar.hidden = !user.picture;
    if (user.picture) avatar.src = user.picture;
    this.renderFavourites();
  }

  /** A favourite's login by id (the player needs the login). */
  loginOf(id) {
    return this.me?.favourites?.find((f) => f.id === id)?.login ?? null;
  }

  renderFavourites() {
    const list = $('favourites');
    // Who is live first (most viewers first), then by name.
    const favourites = (this.me?.favourites ?? []).map((f) => {
      const live = this.onAir?.live(f.id) ?? Boolean(f.live);
      // Live by an event the poller has not seen yet: no viewer count to show.
      return { ...f, live, viewer_count: live && f.live ? f.viewer_count : null };
    });
    const sorted = favourites.sort((a, b) =>
      (b.live - a.live) || ((b.viewer_count ?? 0) - (a.viewer_count ?? 0)) || a.login.localeCompare(b.login));
    const items = sorted.map((f) => {
      const li = document.createElement('li');
      li.dataset.id = f.id;
      li.dataset.login = f.login;
      const watch = document.createElement('button');
      watch.type = 'button';
      watch.className = 'watch link';
      watch.textContent = f.login;
      watch.addEventListener('click', () => this.onWatch(f.login));
      const live = document.createElement('span');
      live.className = 'live-badge';
      live.hidden = !f.live;
      live.textContent = !f.live ? '' : f.viewer_count == null ? 'live' : `live · ${f.viewer_count} viewers`;
      const game = document.createElement('span');
      game.className = 'game';
      game.hidden = !f.live || !f.game_name || f.viewer_count == null;
      game.textContent = f.game_name ?? '';
      const unread = document.createElement('span');
      unread.className = 'unread';
      unread.hidden = !f.unread || f.id === this.watching;
      unread.textContent = f.unread >= 100 ? '100+ new' : `${f.unread ?? 0} new`;
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'remove';
      remove.setAttribute('aria-label', `Remove ${f.login}`);
      remove.textContent = '×';
      remove.addEventListener('click', () => this.remove(f.login, Boolean(f.overlay)));
      const overlay = document.createElement('button');
      overlay.type = 'button';
      overlay.className = 'overlay link';
      overlay.textContent = 'overlay';
      overlay.setAttribute('aria-label', `An OBS alert overlay for ${f.login}`);
      overlay.addEventListener('click', () => this.showOverlay(f.login));
      li.dataset.live = String(Boolean(f.live));
      li.dataset.overlay = String(Boolean(f.overlay));
      li.append(watch, unread, live, game, overlay, remove);
      return li;
    });
    list.replaceChildren(...items);
    $('no-favourites').hidden = items.length > 0;
  }

  async add(login) {
    const { ok, body } = await call('PUT', `api/me/favourites/${encodeURIComponent(login)}`);
    if (!ok) {
      this.onError(body ? `${body.message} (${body.error})` : 'Could not add that streamer');
      return false;
    }
    this.onError(null);
    await this.load();
    return true;
  }

  /** The favourite `name` (a login or an id) names, if any. */
  favourite(name) {
    return this.me?.favourites?.find((f) => f.id === name || f.login === name?.toLowerCase()) ?? null;
  }

  /** Records that `login`'s feed was read up to `cursor`. */
  async markRead(login, cursor) {
    const url = `api/me/favourites/${encodeURIComponent(login)}/read?cursor=${encodeURIComponent(cursor)}`;
    const { ok, body } = await call('PUT', url);
    if (!ok) this.onError(body ? `${body.message} (${body.error})` : 'Could not mark as read');
    await this.load();
    return ok;
  }

  /** The alert-overlay URL of `login`: the same on every visit (made the first time). */
  async showOverlay(login) {
    await this.overlayCall(login, '');
  }

  /** A new overlay URL for the login in the overlay box, once the streamer confirms. */
  async resetOverlay() {
    const login = $('overlay-box').dataset.login;
    const sure = window.confirm(`Make a new overlay URL for ${login}? The one in OBS stops working until you paste the new one.`);
    if (sure) await this.overlayCall(login, '/reset', 'New URL made: paste it into OBS.');
  }

  async overlayCall(login, sub, note = '') {
    const { ok, body } = await call('POST', `api/me/favourites/${encodeURIComponent(login)}/overlay${sub}`);
    if (!ok) {
      this.onError(body ? `${body.message} (${body.error})` : 'Could not get an overlay URL');
      return;
    }
    this.onError(null);
    $('overlay-url').value = body.url;
    $('overlay-for').textContent = body.login;
    $('overlay-note').textContent = note;
    $('overlay-box').hidden = false;
    $('overlay-box').dataset.login = body.login;
    await Promise.all([this.load(), this.panel?.open(body.login, body.url)]);
  }

  /** Copies the overlay URL, for pasting into OBS. */
  async copyOverlay() {
    const field = $('overlay-url');
    try {
      await navigator.clipboard.writeText(field.value);
    } catch {
      // No clipboard permission (an old browser, an insecure origin): select it instead.
      field.select();
      $('overlay-note').textContent = 'Press Ctrl+C (⌘C) to copy.';
      return;
    }
    $('overlay-note').textContent = 'Copied.';
  }

  /** Turns off the overlay in the overlay box, once the streamer confirms. */
  async revokeOverlay() {
    const login = $('overlay-box').dataset.login;
    if (!window.confirm(`Turn off the alert overlay for ${login}? Its URL stops working.`)) return;
    await call('DELETE', `api/me/favourites/${encodeURIComponent(login)}/overlay`);
    $('overlay-box').hidden = true;
    $('overlay-url').value = '';
    await this.load();
  }

  /** Removes a favourite; one with an overlay only once the streamer confirms (its URL dies with it). */
  async remove(login, hasOverlay = false) {
    if (hasOverlay && !window.confirm(`Remove ${login}? Its alert overlay URL stops working.`)) return;
    const { ok, body } = await call('DELETE', `api/me/favourites/${encodeURIComponent(login)}`);
    if (!ok) this.onError(body ? `${body.message} (${body.error})` : 'Could not remove that streamer');
    await this.load();
  }

  async logout() {
    await call('POST', 'auth/logout');
    this.me = null;
    this.render();
  }
}

// Who is on air. The server knows it from the poller (a favourite's `live`
// in /api/me, the watched streamer's viewer series), which looks every minute
// or so; a `stream.online` or `stream.offline` on the feed says it at once.
// An event's word stands until the server's own answer changes after it
// (the poller caught up, or saw something newer), then the server's does.

export class OnAir {
  /** @param {(id: string) => void} onChange a streamer's state changed */
  constructor(onChange = () => {}) {
    this.onChange = onChange;
    this.server = new Map(); // id → live, as the server last said
    this.events = new Map(); // id → {live, serverThen}: what an event said, and the server's state then
  }

  /** Live now (true/false), or null when nothing says. */
  live(id) {
    const event = this.events.get(id);
    if (event) return event.live;
    return this.server.get(id) ?? null;
  }

  /** What the server says of `id`. */
  fromServer(id, live) {
    const before = this.live(id);
    this.server.set(id, live);
    const event = this.events.get(id);
    // Unknown when the event came: the first answer after it is the one to change from.
    if (event?.serverThen === null) event.serverThen = live;
    else if (event && event.serverThen !== live) this.events.delete(id);
    if (this.live(id) !== before) this.onChange(id);
  }

  /** A stream.online / stream.offline frame about `id` (live ones only, not the backlog). */
  fromFrame(id, frame) {
    if (frame.backlog) return;
    const live = { 'stream.online': true, 'stream.offline': false }[frame.event_type];
    if (live === undefined) return;
    const before = this.live(id);
    this.events.set(id, { live, serverThen: this.server.get(id) ?? null });
    if (live !== before) this.onChange(id);
  }
}
