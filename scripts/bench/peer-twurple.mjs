#!/usr/bin/env node
// The ingest benchmark's library peer: twurple's EventSub HTTP middleware
// (@twurple/eventsub-http on express, versions pinned in package.json) with a
// handler that does nothing, for the notification mix over BROADCASTERS
// channels. One process, no clustering: the caller pins it.
//
//   PORT=3842 EVENTSUB_SECRET=<10..100 chars> taskset -c 0 node scripts/bench/peer-twurple.mjs
//
// Env: PORT (on 127.0.0.1; 0 picks a free one, default 0), EVENTSUB_SECRET
// (required), BROADCASTERS (default 5000: channel ids 1000 .. 1000+N-1, as
// `local loadgen --broadcasters N` makes them). Prints `listening <port>` on
// stdout once every subscription is registered, the path scheme on stderr;
// exits 0 on SIGTERM or SIGINT.
//
// No Helix call is ever made: the middleware runs unmanaged (`managed:
// false`, no ApiClient), so markAsReady() lists nothing and subscribing only
// registers the handler locally (twurple's `onSubscriptionActivate` hook, which
// nobody listens to, is where an external manager would create it on Twitch).
// What remains is twurple's own request path: express routing, the lookup of
// the subscription named in the URL, raw-body, the HMAC check, JSON.parse,
// its 10-minute age check and message-id dedupe, and dispatch to the handler.
//
// Path: POST /eventsub/event/<twurple subscription id>, where the id is
// twurple's own (not Twitch's) for (type, broadcaster B):
//   channel.follow (v2)      channel.follow.B.B     (the broadcaster as moderator)
//   channel.raid             channel.raid.to.B      (raids into B)
//   channel.update (v2)      channel.update.v2.B
//   channel.hype_train.X (v2) channel.hype_train.X.v2.B   (X: begin, progress, end)
//   every other type T       T.B   (channel.subscribe, channel.subscription.gift,
//     channel.subscription.message, channel.cheer, stream.online, stream.offline,
//     channel.channel_points_custom_reward_redemption.add)
// twurple reads nothing of the body's `subscription` (id, type, version,
// condition, transport are not checked): only the path, the headers
// Twitch-Eventsub-Message-{Id,Timestamp,Signature,Type} and the raw body.
// Answers as twurple does: a signed notification or revocation 202 `OK`
// (a stale or repeated one too, then dropped); a signed verification 200 with
// the challenge as text/plain; a wrong or missing signature 410 `Not OK`; an
// unknown subscription id 410; an unknown message type 400.
import { createServer } from 'node:http';
import { EventSubMiddleware } from '@twurple/eventsub-http';
import express from 'express';

const secret = process.env.EVENTSUB_SECRET ?? '';
if (secret.length < 10 || secret.length > 100) {
  console.error('EVENTSUB_SECRET must be set, 10 to 100 characters');
  process.exit(2);
}
const port = Number(process.env.PORT ?? 0);
const broadcasters = Number(process.env.BROADCASTERS ?? 5000);
if (!Number.isInteger(broadcasters) || broadcasters < 1) {
  console.error('BROADCASTERS must be a positive integer');
  process.exit(2);
}
const FIRST_BROADCASTER = 1000;
const PATH_PREFIX = '/eventsub';

const app = express();
const middleware = new EventSubMiddleware({
  managed: false,
  secret,
  // Only used to build callback URLs for Twitch, which unmanaged mode never sends.
  hostName: 'localhost',
  pathPrefix: PATH_PREFIX,
});
middleware.apply(app);

const ignore = () => {};

// The mix's types that take only the broadcaster; follows (which also name a
// moderator: the broadcaster) are subscribed apart.
const BY_BROADCASTER = [
  'onChannelSubscription',
  'onChannelSubscriptionGift',
  'onChannelSubscriptionMessage',
  'onChannelCheer',
  'onChannelRaidTo',
  'onChannelRedemptionAdd',
  'onChannelHypeTrainBeginV2',
  'onChannelHypeTrainProgressV2',
  'onChannelHypeTrainEndV2',
  'onStreamOnline',
  'onStreamOffline',
  'onChannelUpdate',
];

// One subscription per (type, broadcaster), as an app following each type in
// each channel registers them.
function subscribeAll() {
  for (let n = 0; n < broadcasters; n++) {
    const b = String(FIRST_BROADCASTER + n);
    middleware.onChannelFollow(b, b, ignore);
    for (const subscribe of BY_BROADCASTER) middleware[subscribe](b, ignore);
  }
}

const server = createServer(app);
server.listen(port, '127.0.0.1', async () => {
  await middleware.markAsReady();
  subscribeAll();
  const last = FIRST_BROADCASTER + broadcasters - 1;
  console.error(
    `twurple: ${(1 + BY_BROADCASTER.length) * broadcasters} subscriptions for broadcasters ${FIRST_BROADCASTER}..${last}; ` +
      `POST ${PATH_PREFIX}/event/<id>, e.g. channel.cheer.${FIRST_BROADCASTER}, ` +
      `channel.follow.${FIRST_BROADCASTER}.${FIRST_BROADCASTER}, channel.raid.to.${FIRST_BROADCASTER}, ` +
      `channel.update.v2.${FIRST_BROADCASTER}, channel.hype_train.begin.v2.${FIRST_BROADCASTER}`,
  );
  console.log(`listening ${server.address().port}`);
});

function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
