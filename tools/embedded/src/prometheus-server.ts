// Prometheus and Alertmanager share their command-line shape (--config.file, --web.listen-address) and their
// readiness endpoint (/-/ready, 200 once the configuration is loaded): one way to start either.
import { join } from 'node:path';
import { spawnManaged, waitFor, type ManagedProcess } from './process.ts';

/** A started Prometheus-family server on 127.0.0.1. */
export interface PrometheusServer {
  /** http://127.0.0.1:<port> */
  url: string;
  process: ManagedProcess;
}

/**
 * Runs `bin` (prometheus, alertmanager) as `name` with its configuration file `config`, listening on 127.0.0.1:`port`,
 * plus `flags` (storage, logging), its output in `dir`/`name`.log; resolves once /-/ready answers 200, polled with a
 * 2 s deadline per request for at most 60 s (throws with the log's tail when it does not, or the process exits).
 */
export async function startPrometheusServer(options: {
  bin: string;
  name: string;
  dir: string;
  port: number;
  config: string;
  flags: string[];
}): Promise<PrometheusServer> {
  const { bin, name, dir, port, config, flags } = options;
  const proc = spawnManaged(bin, [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`, ...flags], {
    name,
    logFile: join(dir, `${name}.log`),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) })).ok, {
    what: `${name} /-/ready`,
    process: proc,
    timeoutMs: 60_000,
  });
  return { url, process: proc };
}
