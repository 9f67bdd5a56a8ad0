// Measuring HTTP hops for bench/gateway.ts: the floor every Node proxy costs (a bare pass-through in its own
// process), latency one request at a time, added latency from back-to-back pairs, throughput, and a process's CPU.
import { readFileSync } from 'node:fs';
import type { Pool } from 'undici';
import { freePort, scratchDir, spawnManaged, waitFor } from '@cf/embedded/process';

const PASS_THROUGH = `
import { createServer, request, Agent } from 'node:http';
const upstream = new URL(process.env.UPSTREAM_URL);
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
createServer((req, res) => {
  const out = request({ host: upstream.hostname, port: upstream.port, method: req.method,
    path: req.url.replace(/^\\/api/, ''), headers: { ...req.headers, host: upstream.host }, agent }, (answer) => {
    res.writeHead(answer.statusCode, answer.headers);
    answer.pipe(res);
  });
  out.on('error', () => { res.statusCode = 502; res.end(); });
  req.pipe(out);
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

export async function startPassThrough(upstream: string): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawnManaged(process.execPath, ['--input-type=module', '-e', PASS_THROUGH], {
    name: 'pass-through proxy',
    logFile: `${scratchDir('bench-pass-through')}/proxy.log`,
    env: { UPSTREAM_URL: upstream, PORT: String(port) },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/healthz`)).ok, { what: 'the pass-through proxy', process: child });
  return { url, pid: child.pid, stop: () => child.stop() };
}

/**
 * CPU time a process has used so far, in ms (utime + stime of /proc/<pid>/stat, in clock ticks of 10 ms): CPU per
 * request moves far less than wall time when other work shares the machine.
 */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // Fields 14 and 15 of proc(5), counted from the state field (3) after the command name.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export async function measureLatency(pool: Pool, path: string, token: string, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    const response = await pool.request({ method: 'GET', path, headers: { authorization: `Bearer ${token}` } });
    await response.body.dump();
    if (response.statusCode !== 200) throw new Error(`${path}: ${response.statusCode}`);
    out.push(performance.now() - started);
  }
  return out;
}

/**
 * Added latency from pairs: each step sends one request to every target back to back (the order rotating, so no
 * target always goes first), and a target's added latency is the median over steps of its time minus the direct
 * call's in the same step. On a machine whose load swings by the second, the two requests of a pair see the same
 * load, which separate blocks of requests do not.
 */
export async function measurePairedAdded(
  targets: { name: string; pool: Pool; path: string }[],
  token: string,
  steps: number,
): Promise<Map<string, number[]>> {
  const differences = new Map(targets.slice(1).map((target) => [target.name, [] as number[]]));
  for (let step = 0; step < steps; step += 1) {
    const times = new Map<string, number>();
    for (let i = 0; i < targets.length; i += 1) {
      const target = targets[(step + i) % targets.length]!;
      times.set(target.name, (await measureLatency(target.pool, target.path, token, 1))[0]!);
    }
    const direct = times.get(targets[0]!.name)!;
    for (const [name, list] of differences) list.push(times.get(name)! - direct);
  }
  return differences;
}

/** Requests per second answered with `parallel` in flight for `seconds`. */
export async function measureThroughput(
  pool: Pool,
  path: string,
  token: string,
  parallel: number,
  seconds: number,
): Promise<number> {
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (performance.now() < deadline) {
        const response = await pool.request({ method: 'GET', path, headers: { authorization: `Bearer ${token}` } });
        await response.body.dump();
        done += 1;
      }
    }),
  );
  return done / seconds;
}
