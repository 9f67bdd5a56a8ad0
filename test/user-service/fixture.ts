import { captureLogs } from '../support/log-capture.ts';
import { createLogger } from '@cf/kit';
import { loadUserServiceConfig } from '../../services/user-service/src/config.ts';
import { startUserService, type RunningUserService } from '../../services/user-service/src/service.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { startVault, type VaultServer } from '../support/vault.ts';
import { backingServicesEnv } from '@cf/embedded/service-env';
import { startTogether, stopIfFails } from '@cf/embedded/process';
import { call } from '@cf/embedded/http-client';
import { fileFixture } from '../support/file-fixture.ts';
import { startMailpit, type RunningMailpit } from '@cf/embedded';
import jwt from 'jsonwebtoken';

export interface UserServiceFixture {
  url: string;
  postgres: PostgresServer;
  vault: VaultServer;
  service: RunningUserService;
  /** Every log line the service wrote, for audit and leak checks. */
  logs: string[];
  env: Record<string, string>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** user-service in-process against a real PostgreSQL and a real Vault (signing keys in KV). */
export async function startUserServiceFixture(overrides: Record<string, string> = {}): Promise<UserServiceFixture> {
  const [postgres, vault] = await startTogether([startPostgres(), startVault({ mode: 'dev' })]);
  return stopIfFails([postgres, vault], () => userServiceOn(postgres, vault, overrides));
}

/**
 * The fixture shared by every test of one file, with `overrides` of the service's environment (variable → value, as
 * `loadUserServiceConfig` reads them): started before the first test, stopped after the last (see `fileFixture`).
 * Overrides given as a function are computed when the fixture starts, for values known only then (the port of a
 * server an earlier `fileFixture` started).
 */
export function userServiceFixtureForFile(
  overrides: Record<string, string> | (() => Record<string, string>) = {},
): UserServiceFixture {
  return fileFixture(
    () => startUserServiceFixture(typeof overrides === 'function' ? overrides() : overrides),
    (fixture) => fixture.stop(),
  );
}

async function userServiceOn(
  postgres: PostgresServer,
  vault: VaultServer,
  overrides: Record<string, string>,
): Promise<UserServiceFixture> {
  await postgres.query('CREATE DATABASE users');
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    // The tests' client on loopback plays api-gateway, naming client addresses in X-Forwarded-For.
    TRUSTED_PROXIES: '127.0.0.1',
    ...backingServicesEnv(postgres, vault),
    DATABASE_NAME: 'users',
    REFRESH_GRACE_SECONDS: '2',
    LOG_LEVEL: 'debug',
    // Suites that are not about the captcha register without solving one; the captcha suites turn it on.
    CAPTCHA_REQUIRED: 'false',
    ...overrides,
  };
  const { stream, lines: logs } = captureLogs();
  const logger = createLogger({ name: 'user-service', level: 'debug', stream });
  const start = (): Promise<RunningUserService> => startUserService(loadUserServiceConfig(env), logger);
  let service = await start();
  const fixture: UserServiceFixture = {
    get url() {
      return service.server.url;
    },
    postgres,
    vault,
    get service() {
      return service;
    },
    logs,
    env,
    async restart() {
      await service.close();
      service = await start();
    },
    async stop() {
      await service.close();
      await Promise.all([postgres.stop(), vault.stop()]);
    },
  };
  return fixture;
}

// The HTTP client moved to tools/embedded (the benchmarks use it too); the suites keep importing it from here.
export { call, type CallOptions, type CallResult } from '@cf/embedded/http-client';

/** A registered account: what the tests log in with, and the session registration opened. */
export interface Account {
  email: string;
  password: string;
  userId: string;
  accessToken: string;
  /** The refresh cookie's value ('' when none was set). */
  refreshToken: string;
}

/**
 * Client addresses under `prefix` (`'10.1'` → 10.1.0.1, 10.1.0.2, …) that never repeat within a run, so no
 * per-IP limit is shared by accident between tests. Give each test file its own prefix.
 */
export function addresses(prefix: string): () => string {
  let counter = 0;
  return () => {
    counter += 1;
    return `${prefix}.${Math.floor(counter / 250)}.${counter % 250}`;
  };
}

/**
 * user-service's mail settings for an SMTP server on 127.0.0.1:`port` that speaks plain SMTP (Mailpit; or port 9,
 * discard, where a test configures mail but reads none).
 */
export function localSmtpEnv(port: number): Record<string, string> {
  return { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(port), SMTP_TLS: 'none' };
}

/** A file's Mailpit; a test may stop it and put another in `server` (the fixture stops whichever runs at the end). */
export interface MailpitHolder {
  server: RunningMailpit;
}

/**
 * user-service with mail set up, sending through a real SMTP server (Mailpit) the file starts first, with
 * `overrides` as `userServiceFixtureForFile` takes them; the routes that mail links exist only with mail set up.
 */
export function mailingUserServiceForFile(overrides: Record<string, string> = {}): {
  f: UserServiceFixture;
  mail: MailpitHolder;
} {
  const mail = fileFixture<MailpitHolder>(
    async () => ({ server: await startMailpit() }),
    (holder) => holder.server.stop(),
  );
  // The service's SMTP port is Mailpit's, known only once Mailpit runs.
  const f = userServiceFixtureForFile(() => ({
    ...localSmtpEnv(mail.server.smtpPort),
    PUBLIC_URL: 'https://cf.example.test',
    ...overrides,
  }));
  return { f, mail };
}

/**
 * An access token signed with `service`'s current key the way the service signs its own (ES256, its `kid`, type
 * `at+jwt`): `claims` and `options` (jsonwebtoken's, e.g. `expiresIn`) are what a test forges or leaves out.
 */
export function signedAccessToken(
  service: RunningUserService,
  claims: Record<string, unknown>,
  options: jwt.SignOptions = {},
): string {
  const key = service.keys.current();
  return jwt.sign(claims, key.privateKey, {
    algorithm: 'ES256',
    header: { alg: 'ES256', kid: key.kid, typ: 'at+jwt' },
    ...options,
  });
}

/** The statuses of `count` logins to `email` from `ip` with a wrong password, made one after another. */
export async function wrongLogins(url: string, email: string, ip: string, count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let attempt = 0; attempt < count; attempt += 1) {
    statuses.push((await call(url, 'POST', '/auth/login', { body: { email, password: 'wrong-password' }, ip })).status);
  }
  return statuses;
}

/** POST /auth/register from `ip`, with `extra` fields in the body; throws naming the answer unless it is 201. */
export async function registerAccount(
  url: string,
  ip: string,
  email: string,
  password: string,
  extra: Record<string, unknown> = {},
): Promise<Account> {
  const response = await call(url, 'POST', '/auth/register', { body: { email, password, ...extra }, ip });
  if (response.status !== 201) throw new Error(`register: ${response.status} ${JSON.stringify(response.body)}`);
  return {
    email,
    password,
    userId: (response.body['user'] as { id: string }).id,
    accessToken: (response.body['session'] as { access_token: string }).access_token,
    refreshToken: response.refreshCookie ?? '',
  };
}
