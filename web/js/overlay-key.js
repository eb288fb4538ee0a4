// A live connection opened with an overlay key instead of a session: the
// alert overlay and the recent-events dock both watch one streamer,
// read-only, with tickets bought by the key in their URL's fragment.

import { LiveConnection } from './live.js';

/**
 * Connects with `key` and keeps reconnecting; each ticket's answer goes to
 * `onTicket` (the streamer, where alerts resume, the settings). A revoked or
 * paused key stops it and says why through `onProblem`.
 * @param {object} o
 * @param {string} o.key
 * @param {'overlay' | 'dock'} o.purpose docks are not sent an overlay's alerts and settings
 */
export function connectWithKey({ key, purpose, onFrame, onState, onTicket, onProblem }) {
  const connection = new LiveConnection({ config: { websocket_url: null, ticket_url: null }, onFrame, onState });
  connection.url = async () => {
    const response = await fetch('api/overlay/ticket', {
      method: 'POST',
      cache: 'no-store',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(purpose === 'dock' ? { key, purpose } : { key }),
    });
    const body = await response.json().catch(() => ({}));
    if (response.status === 401) {
      // Paused (its owner disconnected the app at Twitch) or revoked: say which.
      onProblem(body.error === 'overlay_suspended'
        ? body.message
        : 'This overlay key was revoked; copy a new URL from Streamer Events.');
      const error = new Error('revoked');
      error.loggedOut = true;
      throw error;
    }
    if (!response.ok) throw new Error(`ticket request failed: HTTP ${response.status}`);
    onTicket(body);
    if (connection.broadcaster === 'pending') connection.broadcaster = body.broadcaster;
    return `${body.websocket_url}?ticket=${encodeURIComponent(body.ticket)}`;
  };
  connection.broadcaster = 'pending';
  connection.connect();
  return connection;
}
