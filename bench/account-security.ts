// Issue 18's account-security numbers, each against a baseline measured in the same run.
// 1. The captcha's price: what the server spends verifying one answer (µs) against what a client spends solving
// one challenge at the default cost in Chromium (its WebCrypto PBKDF2, as the widget uses). Goal: solve ≥ 1,000×
// verify. The challenge is made exactly as user-service makes it (deterministic ALTCHA v2, PBKDF2-SHA-256, the
// config defaults CAPTCHA_COST and CAPTCHA_COUNTER_MAX); the replay row insert is one PostgreSQL statement more.
// 2. Registration throughput with the captcha asked for vs without (two user-service processes side by side on one
//    PostgreSQL and Vault; the answers are solved beforehand, so only the server's work is timed). Goal ≥ 0.8.
// 3. Password reset for a known vs an unknown address: median answer time ratio (goal within 0.9–1.1: the answer
//    must not tell whether an account exists).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { createChallenge, randomInt, solveChallenge, verifySolution, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';
import { startChromium } from '@cf/embedded/chromium';
import { call } from '@cf/embedded/http-client';
import { startPostgres } from '@cf/embedded/postgres';
import { startTogether } from '@cf/embedded/process';
import { backingServicesEnv } from '@cf/embedded/service-env';
import { startServiceProcess } from '@cf/embedded/service-process';
import { startVault } from '@cf/embedded/vault';
import { userServiceEnv } from '../services/user-service/src/config.ts';
import { median, percentile } from './stats.ts';

const cost = userServiceEnv.CAPTCHA_COST.parse(undefined);
const counterMax = userServiceEnv.CAPTCHA_COUNTER_MAX.parse(undefined);
const solves = Number(process.env['BENCH_SOLVES'] ?? 15);
const verifies = Number(process.env['BENCH_VERIFIES'] ?? 2000);
const signature = randomBytes(32).toString('hex');
const keySignature = randomBytes(32).toString('hex');

function challenge(): Promise<Challenge> {
  return createChallenge({
    algorithm: 'PBKDF2/SHA-256',
    cost,
    counter: randomInt(Math.floor(counterMax / 2), counterMax),
    deriveKey,
    expiresAt: Math.floor(Date.now() / 1000) + 600,
    hmacSignatureSecret: signature,
    hmacKeySignatureSecret: keySignature,
  });
}

// Server: verify the same solved answer many times (the work does not depend on which answer it is).
const sample = await challenge();
const solved = (await solveChallenge({ challenge: sample, deriveKey }))!;
const verifyUs: number[] = [];
for (let i = 0; i < verifies; i++) {
  const started = process.hrtime.bigint();
  const result = await verifySolution({
    challenge: sample,
    solution: solved,
    deriveKey,
    hmacSignatureSecret: signature,
    hmacKeySignatureSecret: keySignature,
  });
  verifyUs.push(Number(process.hrtime.bigint() - started) / 1e3);
  if (!result.verified) throw new Error('bench answer did not verify');
}

// Client: altcha-lib's own browser build, served from node_modules on loopback, solving in Chromium.
const esm = dirname(fileURLToPath(import.meta.resolve('altcha-lib')));
const server = createServer((request, response) => {
  const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
  if (path === '/') {
    response.setHeader('content-type', 'text/html');
    response.end('<!doctype html><title>solve</title>');
    return;
  }
  readFile(join(esm, path))
    .then((body) => {
      response.setHeader('content-type', 'text/javascript');
      response.end(body);
    })
    .catch(() => {
      response.statusCode = 404;
      response.end();
    });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const address = server.address();
const origin = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
const chromium = await startChromium();
const page = await (await chromium.browser.newContext()).newPage();
await page.goto(origin);
const solveMs: number[] = [];
for (let i = 0; i < solves; i++) {
  const next = await challenge();
  const ms = await page.evaluate(
    async (input) => {
      const lib = (await import(`${input.origin}/index.js`)) as typeof import('altcha-lib');
      const algorithm = (await import(`${input.origin}/algorithms/web/pbkdf2.js`)) as {
        deriveKey: typeof deriveKey;
      };
      const started = performance.now();
      const solution = await lib.solveChallenge({ challenge: input.challenge, deriveKey: algorithm.deriveKey });
      if (solution === null) throw new Error('no solution');
      return performance.now() - started;
    },
    { challenge: next, origin },
  );
  solveMs.push(ms);
}
await chromium.close();
server.close();

const verifyMedianUs = median(verifyUs);
const solveMedianMs = median(solveMs);
console.log(`captcha at the defaults: cost ${cost} PBKDF2 iterations, counter in [${counterMax / 2}, ${counterMax}]`);
console.log(
  `  server verify: median ${verifyMedianUs.toFixed(1)} µs, p95 ${percentile(verifyUs, 95).toFixed(1)} µs (n=${verifies})`,
);
console.log(
  `  Chromium solve: median ${solveMedianMs.toFixed(0)} ms, p95 ${percentile(solveMs, 95).toFixed(0)} ms (n=${solves})`,
);
console.log(`  solve / verify: ${((solveMedianMs * 1000) / verifyMedianUs).toFixed(0)}× (goal ≥ 1000×)`);

// 2 and 3: the services as deployed, each its own process.
const registrations = Number(process.env['BENCH_REGISTRATIONS'] ?? 40);
const parallel = Number(process.env['BENCH_CONCURRENCY'] ?? 4);
const [postgres, vault] = await startTogether([startPostgres(), startVault({ mode: 'dev' })]);
try {
  await postgres.query('CREATE DATABASE users_captcha');
  await postgres.query('CREATE DATABASE users_plain');
  const entry = fileURLToPath(new URL('../services/user-service/src/main.ts', import.meta.url));
  const common = {
    ...backingServicesEnv(postgres, vault),
    TRUSTED_PROXIES: '127.0.0.1',
    REGISTER_LIMIT_PER_IP: '100000',
    // Mail is configured (the reset route exists) and goes nowhere; the request only queues it.
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: '9',
    SMTP_TLS: 'none',
    LOG_LEVEL: 'warn',
  };
  // Verifying does not depend on the counter (deterministic mode checks the key's HMAC), so a small counter only
  // shortens this process's solving beforehand; the cost stays the default.
  const [asked, plain] = await startTogether([
    startServiceProcess(entry, {
      ...common,
      DATABASE_NAME: 'users_captcha',
      CAPTCHA_REQUIRED: 'true',
      CAPTCHA_COUNTER_MAX: '100',
      CAPTCHA_FREE_PER_WINDOW: '100000',
    }),
    startServiceProcess(entry, { ...common, DATABASE_NAME: 'users_plain', CAPTCHA_REQUIRED: 'false' }),
  ]);
  try {
    const warmups = 5;
    const answers: string[] = [];
    for (let i = 0; i < 2 * registrations + warmups; i++) {
      const response = await call(asked.url, 'GET', '/auth/captcha', { ip: `10.40.${i >> 8}.${i & 255}` });
      const challengeBody = response.body as unknown as Challenge;
      const solution = await solveChallenge({ challenge: challengeBody, deriveKey });
      answers.push(Buffer.from(JSON.stringify({ challenge: challengeBody, solution })).toString('base64'));
    }
    let serial = 0;
    const plainEmails: string[] = [];
    /** Registrations per second of `count` new accounts at `url`, `parallel` clients at once. */
    const rate = async (url: string, captcha: boolean, count: number): Promise<number> => {
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: parallel }, async () => {
          while (next < count) {
            next++;
            const i = serial++;
            const body = {
              email: `bench-${captcha ? 'c' : 'p'}-${i}@example.org`,
              password: `bench password ${i}`,
              ...(captcha ? { captcha: answers.pop() } : {}),
            };
            const response = await call(url, 'POST', '/auth/register', { body, ip: `10.41.${i >> 8}.${i & 255}` });
            if (response.status !== 201)
              throw new Error(`register: ${response.status} ${JSON.stringify(response.body)}`);
            if (!captcha) plainEmails.push(body.email);
          }
        }),
      );
      return count / ((performance.now() - started) / 1000);
    };
    // Both warmed up, then two rounds each in alternating order, so neither gains from going second.
    await rate(plain.url, false, warmups);
    await rate(asked.url, true, warmups);
    const half = Math.floor(registrations / 2);
    const withoutRates = [await rate(plain.url, false, half)];
    const withRates = [await rate(asked.url, true, half)];
    withRates.push(await rate(asked.url, true, half));
    withoutRates.push(await rate(plain.url, false, half));
    const withoutRate = (withoutRates[0]! + withoutRates[1]!) / 2;
    const withRate = (withRates[0]! + withRates[1]!) / 2;
    console.log(`registration throughput (${registrations} accounts, ${parallel} clients; argon2id dominates both):`);
    console.log(`  without captcha ${withoutRate.toFixed(1)}/s, with captcha ${withRate.toFixed(1)}/s`);
    console.log(`  with / without: ${(withRate / withoutRate).toFixed(2)} (goal ≥ 0.8)`);

    // Reset: each known address once (its per-address limit), interleaved with unknown ones, fresh client addresses.
    const known: number[] = [];
    const unknown: number[] = [];
    const knownEmails = plainEmails.slice(0, registrations);
    for (let i = 0; i < knownEmails.length; i++) {
      const pair = [
        [knownEmails[i]!, known],
        [`nobody-${i}@example.org`, unknown],
      ] as const;
      // Alternating which goes first, so neither gains from a warmed path.
      for (const [email, samples] of i % 2 === 0 ? pair : [pair[1], pair[0]]) {
        const started = performance.now();
        const response = await call(plain.url, 'POST', '/auth/password-reset', {
          body: { email },
          ip: `10.42.${i >> 7}.${((i & 127) << 1) | (samples === known ? 0 : 1)}`,
        });
        samples.push(performance.now() - started);
        if (response.status !== 202) throw new Error(`reset: ${response.status}`);
      }
    }
    console.log(
      `password reset: known ${median(known).toFixed(1)} ms, unknown ${median(unknown).toFixed(1)} ms (medians, n=${known.length} each)`,
    );
    console.log(`  known / unknown: ${(median(known) / median(unknown)).toFixed(3)} (goal 0.9–1.1)`);
  } finally {
    await Promise.all([asked.stop(), plain.stop()]);
  }
} finally {
  await Promise.all([postgres.stop(), vault.stop()]);
}
