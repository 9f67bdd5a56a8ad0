// user-service under load, against baselines measured in the same run:
// - login throughput vs raw argon2id verification throughput (a login is one verification; goal ≥ 90 %);
// - p99 of GET /users/me during a login storm vs idle (goal ≤ 2×);
// - what token verification costs per request: GET /users/me vs GET /healthz, and jwt.verify alone.
import argon2 from 'argon2';
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { hashPassword, HASH_OPTIONS } from '../services/user-service/src/passwords.ts';
import { fileURLToPath } from 'node:url';
import { call } from '@cf/embedded/http-client';
import { startServiceProcess } from '@cf/embedded/service-process';
import { startPostgres } from '@cf/embedded/postgres';
import { startVault } from '@cf/embedded/vault';
import { backingServicesEnv } from '@cf/embedded/service-env';
import { percentile, median } from './stats.ts';
import { startTogether } from '@cf/embedded/process';

const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 4); // several clients at once, as in a real storm
const logins = Number(process.env['BENCH_LOGINS'] ?? 60);

async function throughput(count: number, parallel: number, task: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) await task(next++);
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

async function latencies(count: number, task: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    await task();
    samples.push(performance.now() - started);
  }
  return samples;
}

// The service runs as its own process, as deployed; the load comes from this one.
const [postgres, vault] = await startTogether([startPostgres(), startVault({ mode: 'dev' })]);
await postgres.query('CREATE DATABASE users');
const service = await startServiceProcess(
  fileURLToPath(new URL('../services/user-service/src/main.ts', import.meta.url)),
  {
    ...backingServicesEnv(postgres, vault),
    LOGIN_LIMIT_PER_EMAIL_IP: '100000',
    LOGIN_LIMIT_PER_IP: '100000',
    REGISTER_LIMIT_PER_IP: '100000',
    // The benchmark registers through the API, not the widget (bench/account-security.ts prices the captcha).
    CAPTCHA_REQUIRED: 'false',
    LOG_LEVEL: 'warn',
  },
);
const f = { url: service.url };
try {
  const email = 'bench@example.org';
  const password = 'a benchmark password';
  const registered = await call(f.url, 'POST', '/auth/register', { body: { email, password } });
  const token = (registered.body['session'] as { access_token: string }).access_token;

  // Warm both paths once.
  const hash = await hashPassword(password);
  await argon2.verify(hash, password);
  await call(f.url, 'POST', '/auth/login', { body: { email, password } });

  const rawPerSecond = await throughput(logins, concurrency, () => argon2.verify(hash, password));
  const loginPerSecond = await throughput(logins, concurrency, () =>
    call(f.url, 'POST', '/auth/login', { body: { email, password } }),
  );

  const idle = await latencies(300, () => call(f.url, 'GET', '/users/me', { token }));
  let storming = true;
  const storm = Promise.all(
    Array.from({ length: 4 }, async () => {
      while (storming) await call(f.url, 'POST', '/auth/login', { body: { email, password } });
    }),
  );
  const underStorm = await latencies(300, () => call(f.url, 'GET', '/users/me', { token }));
  storming = false;
  await storm;

  const health = await latencies(500, () => call(f.url, 'GET', '/healthz'));
  const me = await latencies(500, () => call(f.url, 'GET', '/users/me', { token }));
  const jwks = (await (await fetch(`${f.url}/.well-known/jwks.json`)).json()) as { keys: JsonWebKey[] };
  const publicKey = createPublicKey({ key: jwks.keys[0]!, format: 'jwk' });
  const verifyStarted = performance.now();
  const verifications = 5000;
  for (let i = 0; i < verifications; i += 1) jwt.verify(token, publicKey, { algorithms: ['ES256'] });
  const verifyMicros = ((performance.now() - verifyStarted) / verifications) * 1000;

  console.log(
    `argon2id (m=${HASH_OPTIONS.memoryCost} KiB, t=${HASH_OPTIONS.timeCost}, p=${HASH_OPTIONS.parallelism}), concurrency ${concurrency}, ${logins} operations`,
  );
  console.log(
    `raw verify: ${rawPerSecond.toFixed(1)}/s; login over HTTP: ${loginPerSecond.toFixed(1)}/s; ratio ${((loginPerSecond / rawPerSecond) * 100).toFixed(1)} % (goal ≥ 90 %)`,
  );
  const idleP99 = percentile(idle, 99);
  const stormP99 = percentile(underStorm, 99);
  console.log(
    `GET /users/me p99: idle ${idleP99.toFixed(2)} ms, during a 4-way login storm ${stormP99.toFixed(2)} ms; ratio ${(stormP99 / idleP99).toFixed(2)}× (goal ≤ 2×)`,
  );
  console.log(
    `per request: GET /healthz median ${median(health).toFixed(3)} ms, GET /users/me median ${median(me).toFixed(3)} ms (verification + session lookup + user read ≈ ${(median(me) - median(health)).toFixed(3)} ms); jwt.verify ES256 alone ${verifyMicros.toFixed(1)} µs`,
  );
} finally {
  await service.stop();
  await Promise.all([postgres.stop(), vault.stop()]);
}
