// A real Prometheus on 127.0.0.1 scraping given targets and evaluating given rule files, with its HTTP API.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { resolveBinary } from './built-binaries.ts';
import { freePort, scratchDir, type ManagedProcess } from './process.ts';
import { startPrometheusServer } from './prometheus-server.ts';

export interface StaticTarget {
  job: string;
  /** host:port */
  address: string;
  path: string;
  params?: Record<string, string[]>;
  /** Labels the PodMonitor would attach (namespace, pod). */
  labels: Record<string, string>;
}

/** One sample of an instant query's answer (Prometheus HTTP API, resultType "vector"). */
export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface RunningPrometheus {
  url: string;
  process: ManagedProcess;
  query(expr: string): Promise<VectorSample[]>;
  /** GET /api/v1/<path> and return `data`. */
  api<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

export async function startPrometheus(options: {
  targets: StaticTarget[];
  ruleFiles: string[];
  /** Scrape and evaluation interval. Default 1s: tests want samples fast. */
  interval?: string;
}): Promise<RunningPrometheus> {
  const bin = (await resolveBinary('prometheus')).path;
  const dir = scratchDir('prometheus');
  const port = await freePort();
  const interval = options.interval ?? '1s';
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    rule_files: options.ruleFiles,
    scrape_configs: [
      {
        job_name: 'prometheus',
        static_configs: [{ targets: [`127.0.0.1:${port}`], labels: { namespace: 'cf-observability' } }],
      },
      ...options.targets.map((t) => ({
        job_name: t.job,
        metrics_path: t.path,
        ...(t.params !== undefined ? { params: t.params } : {}),
        static_configs: [{ targets: [t.address], labels: t.labels }],
      })),
    ],
  };
  const configFile = join(dir, 'prometheus.yaml');
  writeFileSync(configFile, stringify(config));
  const { url, process: proc } = await startPrometheusServer({
    bin,
    name: 'prometheus',
    dir,
    port,
    config: configFile,
    flags: [`--storage.tsdb.path=${join(dir, 'data')}`, '--log.level=warn'],
  });
  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${url}/api/v1/${path}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`GET /api/v1/${path}: ${body.error ?? response.status}`);
    return body.data;
  };
  return {
    url,
    process: proc,
    api,
    async query(expr) {
      const data = await api<{ resultType: string; result: VectorSample[] }>(`query?query=${encodeURIComponent(expr)}`);
      return data.resultType === 'vector' ? data.result : [];
    },
    stop: () => proc.stop(),
  };
}

/** Metric names a PromQL expression selects, from Prometheus' own parser (`/api/v1/parse_query`). */
export async function selectedMetrics(prometheus: RunningPrometheus, expr: string): Promise<string[]> {
  const tree = await prometheus.api<unknown>(`parse_query?query=${encodeURIComponent(expr)}`);
  const names = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node !== null && typeof node === 'object') {
      const n = node as Record<string, unknown>;
      // The API's tree (the UI's format) has `vectorSelector` and, inside range functions, `matrixSelector` nodes.
      const selector = n['type'] === 'vectorSelector' || n['type'] === 'matrixSelector';
      if (selector && typeof n['name'] === 'string' && n['name'] !== '') names.add(n['name']);
      if (selector && Array.isArray(n['matchers'])) {
        for (const m of n['matchers'] as { name: string; type: string; value: string }[]) {
          if (m.name === '__name__' && m.type === '=') names.add(m.value);
        }
      }
      Object.values(n).forEach(visit);
    }
  };
  visit(tree);
  return [...names].sort();
}
