import { join } from 'node:path';
import { freePort, scratchDir, spawnManaged, waitFor, type ManagedProcess } from './process.ts';

export interface ServiceProcess {
  url: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/** Starts a service entry point as a real process on a free port and waits for `/healthz`. */
export async function startServiceProcess(entry: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
  const port = await freePort();
  const dir = scratchDir('service');
  const proc = spawnManaged(process.execPath, [entry], {
    name: entry.split('/').slice(-2).join('/'),
    logFile: join(dir, 'service.log'),
    env: { PORT: String(port), HOST: '127.0.0.1', ...env },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/healthz`)).ok, {
    what: `${entry} to serve`,
    process: proc,
    timeoutMs: 60_000,
  });
  return { url, process: proc, stop: () => proc.stop() };
}
