import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnManaged, waitFor, type ManagedProcess } from '@cf/embedded/process';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Rebuilds the UI only when its sources changed since the last build (seconds when it must). The build is a child
 * process awaited without blocking: PostgreSQL and Vault start meanwhile, and their readiness is seen as it comes.
 */
export async function ensureWebBuilt(root: string): Promise<void> {
  const web = join(root, 'services/web');
  const built = join(web, 'dist/index.html');
  const sources = Math.max(newestMtime(join(web, 'src')), statSync(join(web, 'index.html')).mtimeMs);
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  const child = spawn(
    process.execPath,
    [join(root, 'node_modules/vite/bin/vite.js'), 'build', web, '--logLevel', 'warn'],
    {
      stdio: 'inherit',
    },
  );
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error('building the web UI failed');
}

export interface LaunchedService {
  name: string;
  process: ManagedProcess;
  /** Hands the service the rest of its environment (what depends on Vault), then waits for its /readyz. */
  start(env: Record<string, string>): Promise<ManagedProcess>;
}

/**
 * Spawns one service as its own process group, logged to `<state>/<name>.log`, through local/launcher.ts: it loads
 * the service's modules at once and runs it when `start` hands over the environment. Start it early, before the
 * environment is known, so loading overlaps what npm start waits for.
 */
export function launchService(root: string, state: string, name: string, entry: string, port: number): LaunchedService {
  const proc = spawnManaged(process.execPath, [join(root, 'local/launcher.ts'), join(root, entry)], {
    name,
    logFile: join(state, `${name}.log`),
    env: { PORT: String(port), HOST: '127.0.0.1' },
    stdinPipe: true,
  });
  // A launcher that died early (its exit is reported by waitFor) must not turn the write into an uncaught EPIPE.
  proc.child.stdin?.on('error', () => undefined);
  return {
    name,
    process: proc,
    async start(env) {
      proc.child.stdin?.end(`${JSON.stringify({ PORT: String(port), HOST: '127.0.0.1', ...env })}\n`);
      // Ready, not merely up: the gateway's /readyz also waits for its first session-revocation sync, without
      // which it answers 503 to every authenticated call (a user's first request after "ready" would fail).
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, {
        what: `${name} to be ready`,
        process: proc,
        timeoutMs: 90_000,
      });
      return proc;
    },
  };
}
