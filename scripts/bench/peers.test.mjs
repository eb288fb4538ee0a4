// The ingest benchmark's Node peers answer as their headers say: each is
// started on a free loopback port and sent signed and mis-signed requests.
//
//   node --test scripts/bench/peers.test.mjs
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SECRET = 'peer-test-secret-0123456789';
const here = (name) => fileURLToPath(new URL(name, import.meta.url));

// The mix the load generator sends, with twurple's subscription id for
// broadcaster `b` (the path scheme peer-twurple.mjs documents).
const TWURPLE_IDS = {
  'channel.follow': (b) => `channel.follow.${b}.${b}`,
  'channel.subscribe': (b) => `channel.subscribe.${b}`,
  'channel.subscription.gift': (b) => `channel.subscription.gift.${b}`,
  'channel.subscription.message': (b) => `channel.subscription.message.${b}`,
  'channel.cheer': (b) => `channel.cheer.${b}`,
  'channel.raid': (b) => `channel.raid.to.${b}`,
  'channel.channel_points_custom_reward_redemption.add': (b) =>
    `channel.channel_points_custom_reward_redemption.add.${b}`,
  'channel.hype_train.begin': (b) => `channel.hype_train.begin.v2.${b}`,
  'channel.hype_train.progress': (b) => `channel.hype_train.progress.v2.${b}`,
  'channel.hype_train.end': (b) => `channel.hype_train.end.v2.${b}`,
  'stream.online': (b) => `stream.online.${b}`,
  'stream.offline': (b) => `stream.offline.${b}`,
  'channel.update': (b) => `channel.update.v2.${b}`,
};

/** Starts a peer with PORT=0 and resolves once it printed `listening <port>`. */
async function startPeer(script, env = {}) {
  const child = spawn(process.execPath, [here(script)], {
    env: { ...process.env, PORT: '0', EVENTSUB_SECRET: SECRET, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const lines = createInterface({ input: child.stdout });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`${script} exited ${code} before listening: ${stderr}`);
  });
  const listening = (async () => {
    for await (const line of lines) {
      const m = /^listening (\d+)$/.exec(line);
      if (m) return Number(m[1]);
    }
    throw new Error(`${script} closed stdout without listening: ${stderr}`);
  })();
  const port = await Promise.race([listening, exited]);
  return { child, base: `http://127.0.0.1:${port}`, stderr: () => stderr };
}

/** Stops a peer with SIGTERM and returns its exit code. */
async function stopPeer(peer) {
  const exit = once(peer.child, 'exit');
  peer.child.kill('SIGTERM');
  const [code] = await exit;
  return code;
}

function body(kind, broadcaster) {
  return JSON.stringify({
    subscription: {
      id: randomUUID(),
      status: 'enabled',
      type: kind,
      version: '1',
      cost: 0,
      condition: { broadcaster_user_id: broadcaster },
      transport: { method: 'webhook', callback: 'https://example.com/eventsub' },
      created_at: new Date().toISOString(),
    },
    event: { broadcaster_user_id: broadcaster, user_id: '123456', user_login: 'viewer' },
  });
}

const CHALLENGE = 'pogchamp-kappa-360noscope-challenge';
function challengeBody(kind, broadcaster) {
  const b = JSON.parse(body(kind, broadcaster));
  return JSON.stringify({ challenge: CHALLENGE, subscription: b.subscription });
}

/** POSTs `raw` signed with `secret`, as Twitch would. */
function deliver(url, { raw, type = 'notification', secret = SECRET, timestamp }) {
  const id = randomUUID();
  const ts = timestamp ?? new Date().toISOString();
  const sig = createHmac('sha256', secret).update(id + ts + raw).digest('hex');
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'twitch-eventsub-message-id': id,
      'twitch-eventsub-message-timestamp': ts,
      'twitch-eventsub-message-type': type,
      'twitch-eventsub-message-retry': '0',
      'twitch-eventsub-message-signature': `sha256=${sig}`,
      'twitch-eventsub-subscription-type': 'channel.cheer',
      'twitch-eventsub-subscription-version': '1',
    },
    body: raw,
  });
}

const ELEVEN_MINUTES_AGO = () => new Date(Date.now() - 11 * 60 * 1000).toISOString();

describe('peer-node-http', () => {
  let peer;
  const url = () => `${peer.base}/eventsub`;
  before(async () => (peer = await startPeer('peer-node-http.mjs')));
  after(async () => peer && assert.equal(await stopPeer(peer), 0));

  test('accepts a signed notification with 204', async () => {
    const res = await deliver(url(), { raw: body('channel.cheer', '1000') });
    assert.equal(res.status, 204);
  });

  test('refuses a wrong signature with 403', async () => {
    const res = await deliver(url(), { raw: body('channel.cheer', '1000'), secret: 'another-secret-00' });
    assert.equal(res.status, 403);
    assert.ok((await res.json()).error);
  });

  test('refuses a signed timestamp older than 10 minutes with 403', async () => {
    const res = await deliver(url(), { raw: body('channel.cheer', '1000'), timestamp: ELEVEN_MINUTES_AGO() });
    assert.equal(res.status, 403);
  });

  test('echoes a verification challenge as text/plain 200', async () => {
    const res = await deliver(url(), {
      raw: challengeBody('channel.cheer', '1000'),
      type: 'webhook_callback_verification',
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/plain/);
    assert.equal(await res.text(), CHALLENGE);
  });
});

describe('peer-twurple', () => {
  let peer;
  const url = (kind, b) => `${peer.base}/eventsub/event/${TWURPLE_IDS[kind](b)}`;
  before(async () => (peer = await startPeer('peer-twurple.mjs', { BROADCASTERS: '3' })));
  after(async () => peer && assert.equal(await stopPeer(peer), 0));

  test('accepts a signed notification of every type in the mix with 202', async () => {
    for (const kind of Object.keys(TWURPLE_IDS)) {
      for (const b of ['1000', '1002']) {
        const res = await deliver(url(kind, b), { raw: body(kind, b) });
        assert.equal(res.status, 202, `${kind} for ${b}`);
        assert.equal(await res.text(), 'OK');
      }
    }
  });

  test('refuses a wrong signature with 410', async () => {
    const res = await deliver(url('channel.cheer', '1000'), {
      raw: body('channel.cheer', '1000'),
      secret: 'another-secret-00',
    });
    assert.equal(res.status, 410);
  });

  test('refuses a broadcaster it has no subscription for with 410', async () => {
    const res = await deliver(url('channel.cheer', '1003'), { raw: body('channel.cheer', '1003') });
    assert.equal(res.status, 410);
  });

  test('echoes a verification challenge as text/plain 200', async () => {
    const res = await deliver(url('channel.follow', '1001'), {
      raw: challengeBody('channel.follow', '1001'),
      type: 'webhook_callback_verification',
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/plain/);
    assert.equal(await res.text(), CHALLENGE);
  });
});
