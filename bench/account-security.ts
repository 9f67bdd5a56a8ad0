// Issue 18's captcha price: what the server spends verifying one answer (µs) against what a client spends solving
// one challenge at the default cost in Chromium (its WebCrypto PBKDF2, as the widget uses). Goal: solve ≥ 1,000×
// verify. The challenge is made exactly as user-service makes it (deterministic ALTCHA v2, PBKDF2-SHA-256, the
// config defaults CAPTCHA_COST and CAPTCHA_COUNTER_MAX); the replay row insert is one PostgreSQL statement more.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { createChallenge, randomInt, solveChallenge, verifySolution, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';
import { startChromium } from '@cf/embedded/chromium';
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
