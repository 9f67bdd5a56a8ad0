// api-gateway's cost: an authenticated GET through the gateway against the same GET sent straight to the
// upstream (user-service's GET /users/me), in the same run — added latency at p50/p99 and the throughput
// ratio; then `npm start`'s time to ready. Every server is its own process; the load comes from here.
// Two gateways are measured side by side: rate limits counted in PostgreSQL and shared by all replicas (as the
// charts run it, RATE_LIMIT_STORE=postgres) and counted in each replica's memory (RATE_LIMIT_STORE=memory, how
// every replica counted before issue 11). The floor is a bare Node `http` pass-through proxy (keep-alive agent, no
// auth, limits, logging or metrics) in its own process, measured in the same interleaved rounds: on a loaded
// machine the gateway's added latency is judged against what any Node proxy hop costs there and then.
// BENCH_BASELINE_GATEWAY=<another checkout's services/api-gateway/src/main.ts> runs that build too (shared limits,
// its own database) in the same rounds, for before/after numbers from one run. BENCH_NPM_START=0 skips the npm
// start part; BENCH_PROFILE_DIR=<dir> writes the gateways' CPU profiles there.
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { freePort, scratchDir, spawnManaged, startTogether } from '@cf/embedded/process';
import { startServiceProcess } from '@cf/embedded/service-process';
import { startPostgres } from '@cf/embedded/postgres';
import { startVault } from '@cf/embedded/vault';
import { backingServicesEnv } from '@cf/embedded/service-env';
import { cpuMs, measureLatency, measurePairedAdded, measureThroughput, startPassThrough } from './http-measures.ts';
import { median, percentile } from './stats.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const samples = Number(process.env['BENCH_SAMPLES'] ?? 3000);
const npmStarts = Number(process.env['BENCH_NPM_START'] ?? 3);
const seconds = Number(process.env['BENCH_SECONDS'] ?? 5);
// Interleaved latency rounds: more of them spread a shared machine's swings over every target alike.
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 5);
const load = (): string =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

const [postgres, vault] = await startTogether([startPostgres(), startVault({ mode: 'dev' })]);
await postgres.query('CREATE DATABASE users');
await postgres.query('CREATE DATABASE api_gateway');
const users = await startServiceProcess(`${root}services/user-service/src/main.ts`, {
  ...backingServicesEnv(postgres, vault),
  LOG_LEVEL: 'warn',
  TRUSTED_PROXIES: '127.0.0.1',
  LOGIN_LIMIT_PER_EMAIL_IP: '100000',
  LOGIN_LIMIT_PER_IP: '100000',
  // The benchmark registers through the API, not the widget (bench/account-security.ts prices the captcha).
  CAPTCHA_REQUIRED: 'false',
});
const gatewayEnv = {
  USER_SERVICE_URL: users.url,
  INTEGRATION_SERVICE_URL: users.url,
  LOG_LEVEL: 'warn',
  RATE_LIMIT_PER_IP: '100000000',
  RATE_LIMIT_PER_USER: '100000000',
  ...(process.env['BENCH_PROFILE_DIR'] !== undefined
    ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env['BENCH_PROFILE_DIR']}` }
    : {}),
};
const gateway = await startServiceProcess(`${root}services/api-gateway/src/main.ts`, {
  ...gatewayEnv,
  RATE_LIMIT_STORE: 'postgres',
  DATABASE_PORT: String(postgres.port),
  DATABASE_USER: postgres.user,
  DATABASE_PASSWORD: postgres.password,
});
const baselineEntry = process.env['BENCH_BASELINE_GATEWAY'];
if (baselineEntry !== undefined) await postgres.query('CREATE DATABASE api_gateway_baseline');
const baselineGateway =
  baselineEntry === undefined
    ? undefined
    : await startServiceProcess(baselineEntry, {
        ...gatewayEnv,
        RATE_LIMIT_STORE: 'postgres',
        DATABASE_NAME: 'api_gateway_baseline',
        DATABASE_PORT: String(postgres.port),
        DATABASE_USER: postgres.user,
        DATABASE_PASSWORD: postgres.password,
      });
const memoryGateway = await startServiceProcess(`${root}services/api-gateway/src/main.ts`, {
  ...gatewayEnv,
  RATE_LIMIT_STORE: 'memory',
});

/**
 * The floor: a bare Node `http` proxy that passes method, path, headers and body through to `upstream` over a
 * keep-alive agent and streams the answer back — the cheapest Node hop, against which the gateway's own work shows.
 */
const floor = await startPassThrough(users.url);

/**
 * Revocation reaching a replica that did not carry it: log a session out straight at user-service, then ask
 * the gateway until it refuses the token. `/api/telegram/*` points at user-service here, which has no such
 * route: 404 means the gateway let the token through, 401 means it refused it at the edge.
 */
async function measureRevocationLag(rounds: number): Promise<number[]> {
  const lags: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const login = await fetch(`${users.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'bench-gateway@example.org', password: 'gateway benchmark' }),
    });
    const token = ((await login.json()) as { access_token: string }).access_token;
    const probe = async (): Promise<number> =>
      (await fetch(`${gateway.url}/api/telegram/accounts`, { headers: { authorization: `Bearer ${token}` } })).status;
    if ((await probe()) !== 404) throw new Error('a fresh token was refused');
    const started = performance.now();
    const logout = await fetch(`${users.url}/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    if (!logout.ok) throw new Error(`logout at user-service answered ${logout.status}`);
    let status = await probe();
    while (status !== 401) {
      if (performance.now() - started > 10_000) {
        throw new Error(`revocation never reached the gateway (it still answered ${status} after 10 s)`);
      }
      status = await probe();
    }
    lags.push(performance.now() - started);
  }
  return lags;
}

async function npmStartReady(): Promise<number> {
  const port = await freePort();
  const state = scratchDir('bench-start');
  const started = performance.now();
  // Managed, so the reaper stops it even if this benchmark dies halfway.
  const child = spawnManaged(process.execPath, [`${root}local/start.ts`], {
    name: 'npm start',
    logFile: `${state}/start.log`,
    env: { PORT: String(port), CF_LOCAL_STATE: state },
  });
  let ready = 0;
  while (ready === 0 && performance.now() - started < 60_000) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) ready = performance.now() - started;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  await child.stop(15_000, 'SIGINT');
  return ready;
}

try {
  const register = await fetch(`${users.url}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench-gateway@example.org', password: 'gateway benchmark' }),
  });
  const token = ((await register.json()) as { session: { access_token: string } }).session.access_token;
  const direct = new Pool(users.url, { connections: 32 });
  const passThrough = new Pool(floor.url, { connections: 32 });
  const proxied = new Pool(gateway.url, { connections: 32 });
  const proxiedMemory = new Pool(memoryGateway.url, { connections: 32 });
  await measureLatency(direct, '/users/me', token, 200); // warm every path
  await measureLatency(passThrough, '/api/users/me', token, 200);
  await measureLatency(proxied, '/api/users/me', token, 200);
  await measureLatency(proxiedMemory, '/api/users/me', token, 200);
  const baseline = baselineGateway === undefined ? undefined : new Pool(baselineGateway.url, { connections: 32 });
  if (baseline !== undefined) await measureLatency(baseline, '/api/users/me', token, 200);

  const cpuPids = {
    floor: floor.pid,
    shared: gateway.process.pid,
    memory: memoryGateway.process.pid,
    ...(baselineGateway !== undefined ? { baseline: baselineGateway.process.pid } : {}),
  };
  const cpuBefore = Object.fromEntries(Object.entries(cpuPids).map(([name, pid]) => [name, cpuMs(pid)]));
  const directLatency: number[] = [];
  const floorLatency: number[] = [];
  const proxiedLatency: number[] = [];
  const memoryLatency: number[] = [];
  const baselineLatency: number[] = [];
  const perRound: string[] = [];
  const loadBefore = load();
  for (let round = 0; round < rounds; round += 1) {
    // Interleaved rounds, so drift on a shared machine hits all alike.
    const direct1 = await measureLatency(direct, '/users/me', token, samples / rounds);
    const floor1 = await measureLatency(passThrough, '/api/users/me', token, samples / rounds);
    const proxied1 = await measureLatency(proxied, '/api/users/me', token, samples / rounds);
    memoryLatency.push(...(await measureLatency(proxiedMemory, '/api/users/me', token, samples / rounds)));
    const baseline1 =
      baseline === undefined ? [] : await measureLatency(baseline, '/api/users/me', token, samples / rounds);
    directLatency.push(...direct1);
    floorLatency.push(...floor1);
    proxiedLatency.push(...proxied1);
    baselineLatency.push(...baseline1);
    const over = (latencies: number[]): string => (median(latencies) - median(direct1)).toFixed(3);
    perRound.push(
      `round ${round + 1} (load ${load()}): added p50 floor ${over(floor1)}, gateway ${over(proxied1)}${baseline === undefined ? '' : `, baseline ${over(baseline1)}`} ms`,
    );
  }
  const loadAfter = load();
  const cpuPerRequest = Object.fromEntries(
    Object.entries(cpuPids).map(([name, pid]) => [name, (cpuMs(pid) - cpuBefore[name]!) / samples]),
  );
  const pairedLoadBefore = load();
  const paired = await measurePairedAdded(
    [
      { name: 'direct', pool: direct, path: '/users/me' },
      { name: 'floor', pool: passThrough, path: '/api/users/me' },
      { name: 'gateway', pool: proxied, path: '/api/users/me' },
      { name: 'gateway, memory limits', pool: proxiedMemory, path: '/api/users/me' },
      ...(baseline !== undefined ? [{ name: 'baseline', pool: baseline, path: '/api/users/me' }] : []),
    ],
    token,
    Number(process.env['BENCH_PAIRS'] ?? samples),
  );
  console.log(
    `paired added latency over direct (median of per-step differences, ${Number(process.env['BENCH_PAIRS'] ?? samples)} steps, load ${pairedLoadBefore} → ${load()}): ${[
      ...paired,
    ]
      .map(([name, list]) => `${name} p50 ${median(list).toFixed(3)} ms`)
      .join(', ')}`,
  );
  const stepwise = (a: string, b: string): number =>
    median(paired.get(a)!.map((difference, step) => difference - paired.get(b)![step]!));
  console.log(
    `paired: gateway over the floor p50 ${stepwise('gateway', 'floor').toFixed(3)} ms${baseline !== undefined ? `; gateway minus baseline p50 ${stepwise('gateway', 'baseline').toFixed(3)} ms, baseline over the floor p50 ${stepwise('baseline', 'floor').toFixed(3)} ms` : ''}`,
  );
  const lags = await measureRevocationLag(Number(process.env['BENCH_REVOCATIONS'] ?? 30));
  console.log(
    `revocation (logout at user-service → refused by the gateway): p50 ${median(lags).toFixed(1)} ms, max ${Math.max(...lags).toFixed(1)} ms over ${lags.length} (goal ≤ 100 ms)`,
  );
  console.log(`load average (1, 5, 15 min) before the latency rounds ${loadBefore}, after ${loadAfter}`);
  for (const line of perRound) console.log(line);
  const directRate = await measureThroughput(direct, '/users/me', token, 16, seconds);
  const floorRate = await measureThroughput(passThrough, '/api/users/me', token, 16, seconds);
  const proxiedRate = await measureThroughput(proxied, '/api/users/me', token, 16, seconds);
  const memoryRate = await measureThroughput(proxiedMemory, '/api/users/me', token, 16, seconds);
  const baselineRate =
    baseline === undefined ? 0 : await measureThroughput(baseline, '/api/users/me', token, 16, seconds);
  await Promise.all([direct.close(), passThrough.close(), proxied.close(), proxiedMemory.close(), baseline?.close()]);

  const added = (latencies: number[], p: number): number => percentile(latencies, p) - percentile(directLatency, p);
  const show = (name: string, latencies: number[]): void =>
    console.log(
      `${name}: p50 ${median(latencies).toFixed(3)} ms, p99 ${percentile(latencies, 99).toFixed(3)} ms; added over direct p50 ${added(latencies, 50).toFixed(3)} ms, p99 ${added(latencies, 99).toFixed(3)} ms`,
    );
  console.log(
    `GET /users/me direct: p50 ${median(directLatency).toFixed(3)} ms, p99 ${percentile(directLatency, 99).toFixed(3)} ms (${samples} sequential, in ${rounds} interleaved rounds)`,
  );
  show('via bare pass-through proxy (floor)', floorLatency);
  show('via gateway, limits shared in PostgreSQL', proxiedLatency);
  show('via gateway, limits per replica in memory', memoryLatency);
  if (baseline !== undefined) {
    show(`via baseline gateway ${baselineEntry}, shared limits`, baselineLatency);
    console.log(
      `gateway / baseline added p50: ${(added(proxiedLatency, 50) / added(baselineLatency, 50)).toFixed(2)} (p99 ${(added(proxiedLatency, 99) / added(baselineLatency, 99)).toFixed(2)})`,
    );
  }
  const floorAdded = added(floorLatency, 50);
  console.log(
    `gateway (shared limits) added p50 ${added(proxiedLatency, 50).toFixed(3)} ms (goal ≤ 0.5 ms) = ${(added(proxiedLatency, 50) / floorAdded).toFixed(2)}× the floor's ${floorAdded.toFixed(3)} ms; over the floor itself p50 +${(median(proxiedLatency) - median(floorLatency)).toFixed(3)} ms`,
  );
  console.log(
    `CPU per request over the latency rounds (ms, 10 ms ticks): floor ${cpuPerRequest['floor']!.toFixed(3)}, gateway shared limits ${cpuPerRequest['shared']!.toFixed(3)} (${(cpuPerRequest['shared']! / cpuPerRequest['floor']!).toFixed(2)}× the floor), memory limits ${cpuPerRequest['memory']!.toFixed(3)}${cpuPerRequest['baseline'] !== undefined ? `, baseline ${cpuPerRequest['baseline'].toFixed(3)} (${(cpuPerRequest['baseline'] / cpuPerRequest['floor']!).toFixed(2)}× the floor)` : ''}`,
  );
  console.log(
    `throughput at 16 in flight for ${seconds} s: direct ${directRate.toFixed(0)}/s, floor ${floorRate.toFixed(0)}/s (ratio ${(floorRate / directRate).toFixed(2)}), via gateway ${proxiedRate.toFixed(0)}/s shared limits (ratio ${(proxiedRate / directRate).toFixed(2)}, goal ≥ 0.6; ${(proxiedRate / floorRate).toFixed(2)} of the floor), memory limits ${memoryRate.toFixed(0)}/s (ratio ${(memoryRate / directRate).toFixed(2)})`,
  );

  const starts: number[] = [];
  for (let run = 0; run < npmStarts; run += 1) starts.push(await npmStartReady());

  if (baseline !== undefined) {
    console.log(
      `baseline gateway throughput: ${baselineRate.toFixed(0)}/s (ratio ${(baselineRate / directRate).toFixed(2)}, ${(baselineRate / floorRate).toFixed(2)} of the floor)`,
    );
  }
  if (starts.length > 0) {
    console.log(
      `npm start to ready (warm install, fresh data dir): median ${(median(starts) / 1000).toFixed(2)} s of ${starts.map((ms) => (ms / 1000).toFixed(2)).join(', ')} (goal ≤ 10 s)`,
    );
  }
} finally {
  await gateway.stop();
  await memoryGateway.stop();
  await baselineGateway?.stop();
  await floor.stop();
  await users.stop();
  await Promise.all([postgres.stop(), vault.stop()]);
}
