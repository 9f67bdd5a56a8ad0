import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pg from 'pg';
import { createLogger } from '@cf/kit';
import { loadIntegrationServiceConfig } from '../../services/integration-service/src/config.ts';
import {
  startIntegrationService,
  type RunningIntegrationService,
} from '../../services/integration-service/src/service.ts';
import type { TelegramPort } from '../../services/integration-service/src/telegram/port.ts';
import { startFakeBotApi, type FakeBotApi } from '../../services/integration-service/src/bots/fake-bot-api.ts';
import { fileFixture } from '../support/file-fixture.ts';
import { freePort } from '../support/process.ts';
import { stopIfFails } from '@cf/embedded/process';
import { call, startUserServiceFixture, type CallResult, type UserServiceFixture } from '../user-service/fixture.ts';
import { backingServicesEnv } from '@cf/embedded/service-env';

export interface User {
  id: string;
  token: string;
}

export interface Instance {
  pod: string;
  url: string;
  service: RunningIntegrationService;
  logs: string[];
}

/** What a test gives to have something stopped when it ends (ava's `t`). */
export interface TeardownScope {
  teardown(step: () => Promise<void>): void;
}

export interface IntegrationFixture {
  users: UserServiceFixture;
  /** Every log line of every instance. */
  logs: string[];
  /** Every secret the suite handled (session strings, codes, passwords, tokens): none may be logged. */
  secrets: Set<string>;
  /**
   * A registered user and an access token. Verified by default (its address marked verified in user-service's
   * database, then logged in, so the token carries `email_verified: true`); `{ verified: false }` keeps the token of
   * registration, as a user who has not followed the link yet has.
   */
  user(options?: { verified?: boolean }): Promise<User>;
  /** One statement against the service's database, as the superuser. */
  sql<Row extends Record<string, unknown>>(query: string, params?: unknown[]): Promise<Row[]>;
  /**
   * One more integration-service on the shared database. With `scope` (a test's `t`) it is closed when that test
   * ends: an instance left running takes part in later tests' queue and adopts their orphaned accounts through its
   * own fake Telegram, where they do not exist (a takeover then stalls).
   */
  instance(telegram: TelegramPort, env?: Record<string, string>, scope?: TeardownScope): Promise<Instance>;
  stop(): Promise<void>;
}

/**
 * integration-service instances in this process, each with its own pod name `127.0.0.1:<port>` and the peer
 * template `http://{pod}`, against one real PostgreSQL and one real Vault (transit + KV); tokens come
 * from a real user-service.
 */
export async function startIntegrationFixture(): Promise<IntegrationFixture> {
  const users = await startUserServiceFixture({ REGISTER_LIMIT_PER_IP: '1000' });
  return stopIfFails([users], () => integrationOn(users));
}

/**
 * The fixture shared by every test of one file: started before the first test and stopped after the last (see
 * `fileFixture`). Instances a test starts with its `t` as scope stop when that test ends; the others with the fixture.
 */
export function integrationFixtureForFile(): IntegrationFixture {
  return fileFixture(startIntegrationFixture, (fixture) => fixture.stop());
}

/** The fake Telegram Bot API (the one sanctioned fake besides Telegram) shared by one file's tests, closed after them. */
export function fakeBotApiForFile(): FakeBotApi {
  return fileFixture(startFakeBotApi, (api) => api.close());
}

async function integrationOn(users: UserServiceFixture): Promise<IntegrationFixture> {
  await users.postgres.query('CREATE DATABASE integrations');
  const vaultToken = users.vault.rootToken ?? '';
  const vault = async (method: string, path: string, body?: unknown): Promise<void> => {
    const response = await fetch(`${users.vault.address}/v1${path}`, {
      method,
      headers: { 'x-vault-token': vaultToken, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (!response.ok) throw new Error(`vault ${path}: ${response.status} ${await response.text()}`);
  };
  await vault('POST', '/sys/mounts/transit', { type: 'transit' });
  await vault('POST', '/transit/keys/telegram-sessions', {});
  const logs: string[] = [];
  const secrets = new Set<string>();
  const instances: Instance[] = [];
  let ip = 0;
  return {
    users,
    logs,
    secrets,
    async user(options = {}) {
      ip += 1;
      const credentials = { email: `tg-${randomUUID().slice(0, 8)}@example.org`, password: `pw-${randomUUID()}` };
      const from = `10.7.${Math.floor(ip / 250)}.${ip % 250}`;
      const response = await call(users.url, 'POST', '/auth/register', { body: credentials, ip: from });
      if (response.status !== 201) throw new Error(`register: ${response.status}`);
      const id = (response.body['user'] as { id: string }).id;
      let token = (response.body['session'] as { access_token: string }).access_token;
      secrets.add(token);
      if (options.verified !== false) {
        await inDatabase(users.postgres, 'users', (client) =>
          client.query('UPDATE users SET email_verified_at = now() WHERE id = $1', [id]),
        );
        const login = await call(users.url, 'POST', '/auth/login', { body: credentials, ip: from });
        if (login.status !== 200) throw new Error(`login: ${login.status}`);
        token = login.body['access_token'] as string;
        secrets.add(token);
      }
      return { id, token };
    },
    async sql<Row extends Record<string, unknown>>(query: string, params: unknown[] = []) {
      return inDatabase(
        users.postgres,
        'integrations',
        async (client) => (await client.query<Row>(query, params)).rows,
      );
    },
    async instance(telegram, overrides = {}, scope) {
      const port = await freePort();
      const pod = `127.0.0.1:${port}`;
      const env: Record<string, string> = {
        PORT: String(port),
        HOST: '127.0.0.1',
        POD_NAME: pod,
        PEER_ADDRESS_TEMPLATE: 'http://{pod}',
        ...backingServicesEnv(users.postgres, users.vault),
        JWKS_URL: `${users.url}/.well-known/jwks.json`,
        LEASE_TTL_SECONDS: '2',
        RECONCILE_INTERVAL_SECONDS: '0.25',
        QR_REFRESH_MARGIN_SECONDS: '1',
        LOG_LEVEL: 'debug',
        ...overrides,
      };
      const own: string[] = [];
      const stream = new Writable({
        write(chunk: Buffer, _encoding, done) {
          const lines = chunk
            .toString()
            .split('\n')
            .filter((line) => line !== '');
          own.push(...lines);
          logs.push(...lines);
          done();
        },
      });
      const logger = createLogger({ name: 'integration-service', level: 'debug', stream });
      const service = await startIntegrationService(loadIntegrationServiceConfig(env), logger, { telegram });
      const instance = { pod, url: service.server.url, service, logs: own };
      instances.push(instance);
      scope?.teardown(() => service.close());
      return instance;
    },
    async stop() {
      await Promise.all(instances.map((instance) => instance.service.close().catch(() => undefined)));
      await users.stop();
    },
  };
}

/** Runs `work` on a connection of its own to `database` on `postgres`, as the superuser; the connection ends after. */
async function inDatabase<T>(
  postgres: UserServiceFixture['postgres'],
  database: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: postgres.port,
    user: postgres.user,
    password: postgres.password,
    database,
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** One authenticated call. */
export function as(user: User, url: string, method: string, path: string, body?: unknown): Promise<CallResult> {
  return call(url, method, path, { token: user.token, ...(body !== undefined ? { body } : {}) });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` is truthy. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}
