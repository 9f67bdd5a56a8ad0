// An answer that ended sessions (user-service names the feed position it reached) is held until this replica has
// followed the revocation feed that far, so the very next request with an ended session is refused. On loopback the
// feed usually arrives before the next request anyway; here it reaches the gateway through a proxy that holds each
// feed answer back, as a busy network or user-service would, so only the wait can make the next request fail. No
// other answer waits: not one that names no position, nor one from a service other than user-service.
import test, { type ExecutionContext } from 'ava';
import { createServer, request } from 'node:http';
import jwt from 'jsonwebtoken';
import { listenOnLoopback, type LoopbackServer } from '../support/loopback-server.ts';
import { fileFixture } from '../support/file-fixture.ts';
import { randomUUID } from 'node:crypto';
import { REVOCATION_WAIT_MS } from '../../services/api-gateway/src/forwarding.ts';
import {
  registerAccount,
  signedAccessToken,
  userServiceFixtureForFile,
  type Account,
} from '../user-service/fixture.ts';
import { gatewayForFile, probeForFile } from './fixture.ts';
import { lanePairForFile, send, type Answer } from './lane-pair.ts';

/** How long the proxy holds each feed answer: well inside the gateway's wait, far longer than a loopback request. */
const FEED_DELAY_MS = REVOCATION_WAIT_MS / 2;

const users = userServiceFixtureForFile({ REGISTER_LIMIT_PER_IP: '1000' });
const probe = probeForFile();

/** user-service's revocation feed, each answer held back `FEED_DELAY_MS` (the requests go on at once). */
const slowFeed = fileFixture<LoopbackServer>(
  () =>
    listenOnLoopback(
      createServer((incoming, outgoing) => {
        const target = new URL(incoming.url ?? '/', users.url);
        const forwarded = request(
          target,
          { method: incoming.method, headers: incoming.headers, agent: false },
          (answer) => {
            const chunks: Buffer[] = [];
            answer.on('data', (chunk: Buffer) => chunks.push(chunk));
            answer.on('end', () => {
              setTimeout(() => {
                outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
                outgoing.end(Buffer.concat(chunks));
              }, FEED_DELAY_MS).unref();
            });
          },
        );
        forwarded.on('error', () => outgoing.destroy());
        // The gateway gave up on its poll (or stopped): so does the proxy, instead of holding user-service's poll open.
        outgoing.on('close', () => forwarded.destroy());
        incoming.pipe(forwarded);
      }),
    ),
  (server) => server.close(),
);

const gw = gatewayForFile(() => ({
  USER_SERVICE_URL: users.url,
  INTEGRATION_SERVICE_URL: probe.url,
  REVOCATIONS_URL: `${slowFeed.origin}/internal/session-revocations`,
}));
const pair = lanePairForFile(() => gw.gateway);

/** A new account, registered directly with user-service. */
function register(): Promise<Account> {
  return registerAccount(users.url, '10.9.9.9', `rw-${randomUUID().slice(0, 8)}@example.org`, `wait-${randomUUID()}`);
}

let admin = '';

test.serial.before(async () => {
  const account = await register();
  const claims = jwt.decode(account.accessToken) as Record<string, unknown>;
  admin = signedAccessToken(users.service, { ...claims, role: 'admin' });
});

for (const path of ['lane', 'koa'] as const) {
  test.serial(`an administrator's ending of sessions through ${path} answers only once the feed has it`, async (t) => {
    const base = pair[path];
    const target = await register();
    // A route whose service trusts the edge (user-service would check the session itself): only the gateway can refuse.
    const accounts = {
      method: 'GET',
      path: '/api/telegram/accounts',
      headers: { authorization: `Bearer ${target.accessToken}` },
    };
    t.is((await send(base, accounts)).status, 200, 'the session is live before');
    const ended = await send(base, {
      method: 'DELETE',
      path: `/api/admin/users/${target.userId}/sessions`,
      headers: { authorization: `Bearer ${admin}` },
    });
    t.is(ended.status, 200, ended.body.toString());
    t.is((await send(base, accounts)).status, 401, 'the next request is refused, although the feed is slow');
  });
}

/** Records the feed positions the gateway waits for until the test ends. */
function recordedWaits(t: ExecutionContext): unknown[] {
  const revocations = gw.gateway.revocations;
  const waitedFor: unknown[] = [];
  const reached = revocations.reached.bind(revocations);
  // Recorded, not timed: a needless wait would hold an answer the whole REVOCATION_WAIT_MS.
  revocations.reached = (version, timeoutMs) => {
    waitedFor.push(version);
    return reached(version, timeoutMs);
  };
  t.teardown(() => {
    revocations.reached = reached;
  });
  return waitedFor;
}

/** A GET of `path` on `base` with `account`'s access token. */
function getAs(account: Account, base: string, path: string): Promise<Answer> {
  return send(base, { method: 'GET', path, headers: { authorization: `Bearer ${account.accessToken}` } });
}

for (const path of ['lane', 'koa'] as const) {
  test.serial(`a user-service answer that names no feed position is not held back by ${path}`, async (t) => {
    const account = await register();
    const waitedFor = recordedWaits(t);
    // user-service names the position only after writes: a GET's answer has none.
    const me = await getAs(account, pair[path], '/api/users/me');
    t.is(me.status, 200, me.body.toString());
    t.deepEqual(waitedFor, []);
  });

  test.serial(`a feed position named by a service other than user-service is not waited for by ${path}`, async (t) => {
    const account = await register();
    const waitedFor = recordedWaits(t);
    probe.script = () => ({ status: 200, headers: { 'x-revocation-version': '999999' }, body: '{}' });
    t.teardown(() => {
      probe.script = undefined;
    });
    const accounts = await getAs(account, pair[path], '/api/telegram/accounts');
    t.is(accounts.status, 200, accounts.body.toString());
    t.deepEqual(waitedFor, []);
  });
}
