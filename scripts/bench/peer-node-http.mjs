#!/usr/bin/env node
// The ingest benchmark's bare Node peer: a `node:http` EventSub webhook
// receiver that does what a careful one must and nothing else. It reads the
// body, checks `Twitch-Eventsub-Message-Signature` (HMAC-SHA256 of message id
// + timestamp + raw body, compared in constant time), refuses a timestamp
// older than 10 minutes, parses the JSON (a receiver acts on the event, so it
// must) and stores nothing. One process, no clustering: the caller pins it.
//
//   PORT=3841 EVENTSUB_SECRET=<10..100 chars> taskset -c 0 node scripts/bench/peer-node-http.mjs
//
// Env: PORT (on 127.0.0.1; 0 picks a free one, default 0), EVENTSUB_SECRET
// (required). Prints `listening <port>` on stdout when ready; exits 0 on
// SIGTERM or SIGINT.
//
// Any path is accepted (POST). Answers: a signed `notification` or
// `revocation` 204; a signed `webhook_callback_verification` 200 with the
// challenge as text/plain; a missing or wrong signature, or a signed
// timestamp older than 10 minutes (or unparsable), 403; an unknown message
// type or a body that is not JSON 400; a body over 1 MiB 413; not POST 405
// (refusals carry a JSON `{"error": ...}`). It keeps no message ids, so a
// Twitch retry is answered like the first delivery.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const MAX_AGE_MS = 10 * 60 * 1000;
const MAX_BODY = 1 << 20;

const secret = process.env.EVENTSUB_SECRET ?? '';
if (secret.length < 10 || secret.length > 100) {
  console.error('EVENTSUB_SECRET must be set, 10 to 100 characters');
  process.exit(2);
}
const port = Number(process.env.PORT ?? 0);

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function refuse(res, status, error) {
  send(res, status, 'application/json', JSON.stringify({ error }));
}

function signedAndFresh(req, body) {
  const id = req.headers['twitch-eventsub-message-id'] ?? '';
  const timestamp = req.headers['twitch-eventsub-message-timestamp'] ?? '';
  const given = Buffer.from(req.headers['twitch-eventsub-message-signature'] ?? '');
  const hmac = createHmac('sha256', secret).update(id).update(timestamp).update(body);
  const expected = Buffer.from(`sha256=${hmac.digest('hex')}`);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
  // Only a signed timestamp is worth reading; NaN (unparsable) fails too.
  return Date.now() - Date.parse(timestamp) <= MAX_AGE_MS;
}

function handle(req, res, body) {
  if (!signedAndFresh(req, body)) return refuse(res, 403, 'bad signature or stale timestamp');
  let message;
  try {
    message = JSON.parse(body);
  } catch {
    return refuse(res, 400, 'body is not JSON');
  }
  switch (req.headers['twitch-eventsub-message-type']) {
    case 'notification':
    case 'revocation':
      return res.writeHead(204).end();
    case 'webhook_callback_verification':
      if (typeof message?.challenge !== 'string') return refuse(res, 400, 'no challenge');
      return send(res, 200, 'text/plain', message.challenge);
    default:
      return refuse(res, 400, 'unknown message type');
  }
}

const server = createServer((req, res) => {
  if (req.method !== 'POST') return refuse(res, 405, 'POST only');
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size <= MAX_BODY) chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > MAX_BODY) return refuse(res, 413, 'body over 1 MiB');
    handle(req, res, Buffer.concat(chunks, size));
  });
});

server.listen(port, '127.0.0.1', () => console.log(`listening ${server.address().port}`));

function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
