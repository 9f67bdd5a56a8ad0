import { spawnSync } from 'node:child_process';
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

/** Rebuilds the UI only when its sources changed since the last build (about a second when it must). */
export function ensureWebBuilt(root: string): void {
  const web = join(root, 'services/web');
  const built = join(web, 'dist/index.html');
  const sources = Math.max(newestMtime(join(web, 'src')), statSync(join(web, 'index.html')).mtimeMs);
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  const result = spawnSync(
    process.execPath,
    [join(root, 'node_modules/vite/bin/vite.js'), 'build', web, '--logLevel', 'warn'],
    { stdio: 'inherit' },
  );
  if (result.status !== 0) throw new Error('building the web UI failed');
}

/** Starts one service's entry point as its own process group, logged to `<state>/<name>.log`; waits for /healthz. */
export async function startService(
  root: string,
  state: string,
  name: string,
  entry: string,
  port: number,
  env: Record<string, string>,
): Promise<ManagedProcess> {
  const proc = spawnManaged(process.execPath, [join(root, entry)], {
    name,
    logFile: join(state, `${name}.log`),
    env: { PORT: String(port), HOST: '127.0.0.1', ...env },
  });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, {
    what: `${name} to start`,
    process: proc,
    timeoutMs: 30_000,
  });
  return proc;
}
