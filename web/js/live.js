// A WebSocket to the live feed that keeps itself up: it fetches a ticket,
// connects, subscribes to the watched streamer, and after any drop waits with
// exponential backoff (with jitter, so a restarted server is not stampeded),
// then does it all again. Subscribing again brings the backlog again; the feed
// drops what it already has by message id.

const KEEPALIVE_MS = 5 * 60 * 1000; // API Gateway closes sockets idle for 10 min

/** Delay before reconnect attempt `attempt` (0-based), in ms. */
export function backoffDelay(attempt, { baseMs = 500, maxMs = 30000, random = Math.random } = {}) {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Why the live connection dropped, as a person would say it (the browser's words are for developers). */
export function inWords(reason = '') {
  if (/fetch|network|load failed/i.test(reason)) return 'The server cannot be reached';
  if (/HTTP 5\d\d/.test(reason)) return 'The server is busy';
  if (/closed/.test(reason)) return 'The server closed the connection';
  return 'Connection lost';
}

export class LiveConnection {
  /**
   * @param {object} options
   * @param {{websocket_url: string, ticket_url?: string}} options.config
   * @param {(frame: object) => void} options.onFrame every frame about the watched streamer
   * @param {(state: string, detail?: object) => void} options.onState connection state changes
   */
  constructor({ config, onFrame, onState, backoff = {} }) {
    this.config = config;
    this.onFrame = onFrame;
    this.onState = onState;
    this.backoff = backoff;
    this.broadcaster = null;
    this.subscribed = null; // what the server confirmed on this socket
    this.socket = null;
    this.attempt = 0;
    this.timer = null;
    this.keepalive = null;
    this.stopped = false;
  }

  /** Watches `broadcaster` instead of whatever was watched before. */
  watch(broadcaster) {
    this.broadcaster = broadcaster;
    if (this.isOpen()) {
      // The old streamer is dropped only once the server has confirmed the new
      // one (see receive): each message is handled on its own, so an
      // unsubscribe sent first could land after the subscribe, and a login may
      // turn out to be the streamer already watched.
      this.send({ action: 'subscribe', broadcaster });
      this.onState('connecting', { broadcaster });
    } else if (!this.socket && !this.timer) {
      this.connect();
    }
  }

  isOpen() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  send(message) {
    this.socket.send(JSON.stringify(message));
  }

  async url() {
    const base = this.config.websocket_url;
    if (!this.config.ticket_url) return base;
    // A fresh single-use ticket for every connection (POST: it is issued to
    // the session's user, and the server checks the request's origin).
    const response = await fetch(this.config.ticket_url, {
      method: 'POST',
      cache: 'no-store',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    if (response.status === 401) {
      const error = new Error('log in to watch live');
      error.loggedOut = true;
      throw error;
    }
    if (!response.ok) throw new Error(`ticket request failed: HTTP ${response.status}`);
    const { ticket } = await response.json();
    return ticket ? `${base}?ticket=${encodeURIComponent(ticket)}` : base;
  }

  async connect() {
    this.timer = null;
    if (this.stopped) return;
    this.onState('connecting', { attempt: this.attempt });
    let url;
    try {
      url = await this.url();
    } catch (error) {
      if (error.loggedOut) {
        // Retrying cannot help until the person logs in.
        this.onState('logged-out');
        return;
      }
      this.retry(error.message);
      return;
    }
    const socket = new WebSocket(url);
    this.socket = socket;
    this.lastUrl = url; // tests: a used ticket must not open another socket
    socket.addEventListener('open', () => {
      if (this.broadcaster) this.send({ action: 'subscribe', broadcaster: this.broadcaster });
      this.keepalive = setInterval(() => this.isOpen() && this.send({ action: 'ping' }), KEEPALIVE_MS);
    });
    socket.addEventListener('message', (message) => this.receive(message.data));
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.subscribed = null;
      clearInterval(this.keepalive);
      this.retry(event.code === 1006 ? 'connection lost' : `closed (${event.code})`);
    });
  }

  receive(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame.type === 'pong') return;
    // Watching by login: the server answers with the user id, which every
    // later frame carries (and which re-subscribes after a reconnect use).
    if (frame.type === 'subscribed' && frame.requested && frame.requested === this.broadcaster) {
      this.broadcaster = frame.broadcaster;
    }
    if (frame.broadcaster !== undefined && frame.broadcaster !== this.broadcaster) {
      // A confirmation of a streamer the person has already left: drop it.
      if (frame.type === 'subscribed') this.send({ action: 'unsubscribe', broadcaster: frame.broadcaster });
      // Any other frame about a streamer no longer watched may still be in flight.
      return;
    }
    if (frame.type === 'unsubscribed') {
      // An unsubscribe of this streamer that the server handled after the
      // subscribe (messages may be handled in any order): subscribe again.
      this.send({ action: 'subscribe', broadcaster: this.broadcaster });
      return;
    }
    if (frame.type === 'subscribed') {
      if (this.subscribed && this.subscribed !== frame.broadcaster) {
        this.send({ action: 'unsubscribe', broadcaster: this.subscribed });
      }
      this.subscribed = frame.broadcaster;
      this.attempt = 0;
      this.onState('live', { broadcaster: frame.broadcaster });
    }
    this.onFrame(frame);
  }

  retry(reason) {
    if (this.stopped || this.timer) return;
    const delay = backoffDelay(this.attempt, this.backoff);
    this.attempt += 1;
    this.onState('reconnecting', { reason, delay });
    this.timer = setTimeout(() => this.connect(), delay);
  }

  /** Closes the socket for good. */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.keepalive);
    if (this.socket) this.socket.close();
  }
}
