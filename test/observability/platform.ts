// The platform's processes on this machine for the scrape test: PostgreSQL, a dev Vault for the services,
// user-service, integration-service (demo Telegram), api-gateway and web as real processes; and a Vault
// server "pod" kept unsealed by the real vault-unsealer operator against a real kube-apiserver.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveBinary } from '../support/binaries.ts';
import { listenOnLoopback } from '../support/loopback-server.ts';
import { startControlPlane, type ControlPlane } from '../support/control-plane.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { freePort, type ManagedProcess, scratchDir, spawnManaged, startTogether, waitFor } from '../support/process.ts';
import { createNamespace, Kubelet, LogCapture, startOperator, type TestOperator } from '../support/unsealer-cluster.ts';
import { startVault, type VaultServer } from '../support/vault.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface RunningProcess {
  job: string;
  namespace: string;
  pod: string;
  /** host:port of its metrics endpoint */
  address: string;
}

export interface Platform {
  processes: RunningProcess[];
  gatewayUrl: string;
  userServiceUrl: string;
  stop(): Promise<void>;
}

async function service(
  name: string,
  entry: string,
  env: Record<string, string>,
  stoppers: (() => Promise<void>)[],
  port?: number,
): Promise<{ port: number; proc: ManagedProcess }> {
  port ??= await freePort();
  const proc = spawnManaged(process.execPath, [join(root, entry)], {
    name,
    logFile: join(scratchDir(name), `${name}.log`),
    env: { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
  });
  stoppers.push(() => proc.stop());
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, {
    what: `${name} to serve /healthz`,
    process: proc,
    timeoutMs: 60_000,
  });
  return { port, proc };
}

/**
 * A Vault server configured like the chart's (vault.ts: listener telemetry with unauthenticated metrics, a
 * Prometheus retention), on its own loopback address like a pod IP.
 */
async function vaultPod(ip: string, port: number, stoppers: (() => Promise<void>)[]): Promise<void> {
  const bin = (await resolveBinary('vault')).path;
  const dir = scratchDir('vault-pod');
  const clusterPort = await freePort();
  mkdirSync(join(dir, 'raft'));
  writeFileSync(
    join(dir, 'vault.hcl'),
    [
      `storage "raft" {\n  path = "${join(dir, 'raft')}"\n  node_id = "vault-0"\n}`,
      `listener "tcp" {\n  address = "${ip}:${port}"\n  cluster_address = "${ip}:${clusterPort}"\n  tls_disable = true\n  telemetry {\n    unauthenticated_metrics_access = true\n  }\n}`,
      `telemetry {\n  prometheus_retention_time = "30s"\n  disable_hostname = true\n}`,
      `api_addr = "http://${ip}:${port}"`,
      `cluster_addr = "https://${ip}:${clusterPort}"`,
      'disable_mlock = true',
      'ui = false',
      '',
    ].join('\n'),
  );
  const proc = spawnManaged(bin, ['server', `-config=${join(dir, 'vault.hcl')}`], {
    name: 'vault-pod',
    logFile: join(dir, 'vault.log'),
    env: { HOME: dir, VAULT_LOG_LEVEL: 'warn' },
  });
  stoppers.push(() => proc.stop());
  await waitFor(async () => (await fetch(`http://${ip}:${port}/v1/sys/seal-status`)).ok, {
    what: 'the Vault pod to answer',
    process: proc,
    timeoutMs: 30_000,
  });
}

/** Serves a prom-client registry the way vault-unsealer's own HTTP server does (`GET /metrics`). */
async function serveRegistry(operator: TestOperator, stoppers: (() => Promise<void>)[]): Promise<number> {
  const server: Server = createServer((req, res) => {
    void operator.registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': operator.registry.contentType }).end(text);
    });
  });
  const listening = await listenOnLoopback(server);
  stoppers.push(listening.close);
  return listening.port;
}

export async function startPlatform(): Promise<Platform> {
  const stoppers: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const s of stoppers.reverse()) await s().catch(() => {});
  };
  try {
    const [postgres, vault, plane]: [PostgresServer, VaultServer, ControlPlane] = await startTogether([
      startPostgres(),
      startVault({ mode: 'dev' }),
      startControlPlane(),
    ]);
    stoppers.push(
      () => postgres.stop(),
      () => vault.stop(),
      () => plane.stop(),
    );
    for (const name of ['users', 'integrations']) await postgres.query(`CREATE DATABASE ${name}`);
    const database = {
      DATABASE_PORT: String(postgres.port),
      DATABASE_USER: postgres.user,
      DATABASE_PASSWORD: postgres.password,
    };
    const vaultEnv = { VAULT_ADDR: vault.address, VAULT_AUTH: 'token', VAULT_TOKEN: vault.rootToken ?? '' };
    const state = scratchDir('obs-state');
    const user = await service(
      'user-service',
      'services/user-service/src/main.ts',
      {
        ...database,
        ...vaultEnv,
        TRUST_PROXY: 'true',
        COOKIE_SECURE: 'false',
        CAPTCHA_REQUIRED: 'false',
        LOCAL_KEY_FILE: join(state, 'keys.json'),
      },
      stoppers,
    );
    const integrationPort = await freePort();
    const integ = await service(
      'integration-service',
      'services/integration-service/src/main.ts',
      {
        ...database,
        ...vaultEnv,
        DATABASE_NAME: 'integrations',
        JWKS_URL: `http://127.0.0.1:${user.port}/.well-known/jwks.json`,
        POD_NAME: 'integration-service-0',
        PEER_ADDRESS_TEMPLATE: `http://127.0.0.1:${integrationPort}`,
        LOCAL_SESSION_KEY_FILE: join(state, 'session.key'),
        VAULT_TRANSIT_ENSURE: 'true',
        TELEGRAM_MODE: 'demo',
        // Not about issue 18's unverified policy (verified-only.test.ts is): its users register and connect at once.
        UNVERIFIED_MAY_NOT: 'none',
      },
      stoppers,
      integrationPort,
    );
    const webRoot = join(state, 'web');
    mkdirSync(webRoot);
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>Content Factory</title>');
    const web = await service('web', 'services/web/server/main.ts', { WEB_ROOT: webRoot }, stoppers);
    const gateway = await service(
      'api-gateway',
      'services/api-gateway/src/main.ts',
      {
        USER_SERVICE_URL: `http://127.0.0.1:${user.port}`,
        INTEGRATION_SERVICE_URL: `http://127.0.0.1:${integ.port}`,
        PUBLIC_ORIGIN: 'http://localhost',
        CORS_ORIGINS: 'http://localhost',
        WEB_ROOT: webRoot,
        // One replica: its limits count in memory (the shared PostgreSQL store is test/api-gateway/shared-limits).
        RATE_LIMIT_STORE: 'memory',
      },
      stoppers,
    );

    // Vault "pod" vault-0 in namespace cf-vault, unsealed by the real operator.
    const ip = '127.0.77.1';
    const vaultPort = await freePort();
    await vaultPod(ip, vaultPort, stoppers);
    await createNamespace(plane.kubeConfig, 'cf-vault');
    const kubelet = new Kubelet(plane.kubeConfig, 'cf-vault');
    await kubelet.createPod('vault-0');
    const logs = new LogCapture();
    const operator = startOperator({
      kubeConfig: plane.kubeConfig,
      namespace: 'cf-vault',
      addressTemplate: `http://{podIP}:${vaultPort}`,
      logs,
      shares: 1,
      threshold: 1,
      resyncMs: 1000,
    });
    stoppers.push(() => operator.stop());
    await kubelet.markRunning('vault-0', ip);
    await waitFor(
      async () => {
        const status = (await (await fetch(`http://${ip}:${vaultPort}/v1/sys/seal-status`)).json()) as {
          sealed: boolean;
        };
        return !status.sealed;
      },
      { what: 'vault-unsealer to unseal vault-0', timeoutMs: 60_000, intervalMs: 500 },
    );
    const unsealerPort = await serveRegistry(operator, stoppers);

    const apps = (job: string, port: number, pod: string): RunningProcess => ({
      job,
      namespace: 'cf-apps',
      pod,
      address: `127.0.0.1:${port}`,
    });
    return {
      processes: [
        apps('user-service', user.port, 'user-service-0'),
        apps('integration-service', integ.port, 'integration-service-0'),
        apps('api-gateway', gateway.port, 'api-gateway-0'),
        apps('web', web.port, 'web-0'),
        { job: 'vault', namespace: 'cf-vault', pod: 'vault-0', address: `${ip}:${vaultPort}` },
        { job: 'vault-unsealer', namespace: 'cf-vault', pod: 'vault-unsealer-0', address: `127.0.0.1:${unsealerPort}` },
      ],
      gatewayUrl: `http://127.0.0.1:${gateway.port}`,
      userServiceUrl: `http://127.0.0.1:${user.port}`,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
