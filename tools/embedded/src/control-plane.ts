import { KubeConfig } from '@kubernetes/client-node';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, get } from 'node:https';
import { join } from 'node:path';
import { resolveBinary } from './built-binaries.ts';
import { createTestPki } from './certificates.ts';
import { kubeconfigYaml } from './kubeconfig.ts';
import { freePort, scratchDir, spawnManaged, waitFor, type ManagedProcess } from './process.ts';

export interface ControlPlane {
  /** `https://127.0.0.1:<port>`. */
  server: string;
  /** Admin (system:masters) client configuration. */
  kubeConfig: KubeConfig;
  /** The same as a file, for kubectl: `kubectl --kubeconfig <path>`. */
  kubeconfigPath: string;
  /** PEM of the CA that signed the API server's certificate, e.g. for Vault's kubernetes auth. */
  caPem: string;
  /** Issuer of ServiceAccount tokens. */
  serviceAccountIssuer: string;
  etcd: ManagedProcess;
  apiserver: ManagedProcess;
  /** Kills and restarts kube-apiserver on the same port and etcd: watches drop, state stays. */
  restartApiServer(): Promise<void>;
  stop(): Promise<void>;
}

const ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** etcd + kube-apiserver on loopback with RBAC, a ServiceAccount issuer and an admin client certificate. */
export async function startControlPlane(): Promise<ControlPlane> {
  const [etcdBin, apiserverBin] = await Promise.all([resolveBinary('etcd'), resolveBinary('kube-apiserver')]);
  const dir = scratchDir('kube');
  const pki = await createTestPki(dir);
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const etcd = spawnManaged(
    etcdBin.path,
    [
      '--data-dir',
      join(dir, 'etcd'),
      '--listen-client-urls',
      `http://127.0.0.1:${etcdPort}`,
      '--advertise-client-urls',
      `http://127.0.0.1:${etcdPort}`,
      '--listen-peer-urls',
      `http://127.0.0.1:${peerPort}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${peerPort}`,
      '--initial-cluster',
      `default=http://127.0.0.1:${peerPort}`,
      '--unsafe-no-fsync',
      '--log-level',
      'warn',
    ],
    { name: 'etcd', logFile: join(dir, 'etcd.log') },
  );
  await waitFor(
    async () => (await fetch(`http://127.0.0.1:${etcdPort}/health`, { signal: AbortSignal.timeout(1000) })).ok,
    { what: 'etcd to be healthy', process: etcd, timeoutMs: 20_000 },
  );
  const apiArgs = [
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    `--cert-dir=${join(dir, 'apiserver-certs')}`,
    `--secure-port=${apiPort}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    '--service-cluster-ip-range=10.0.0.0/24',
    '--authorization-mode=RBAC',
    `--client-ca-file=${pki.caCert}`,
    `--tls-cert-file=${pki.serverCert}`,
    `--tls-private-key-file=${pki.serverKey}`,
    `--service-account-issuer=${ISSUER}`,
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    // Without a controller manager no namespace gets a `default` ServiceAccount; tests create what they use.
    '--disable-admission-plugins=ServiceAccount',
    '--allow-privileged=true',
    '-v=0',
  ];
  const startApiServer = (): ManagedProcess =>
    spawnManaged(apiserverBin.path, apiArgs, { name: 'kube-apiserver', logFile: join(dir, 'kube-apiserver.log') });
  let apiserver = startApiServer();
  const server = `https://127.0.0.1:${apiPort}`;
  const caPem = readFileSync(pki.caCert, 'utf8');
  const agent = new Agent({ ca: caPem, cert: readFileSync(pki.adminCert), key: readFileSync(pki.adminKey) });
  const readyz = (): Promise<boolean> =>
    new Promise<boolean>((resolve, reject) => {
      get(`${server}/readyz`, { agent, timeout: 2000 }, (response) => {
        response.resume();
        resolve(response.statusCode === 200);
      }).on('error', reject);
    });
  const ready = async (proc: ManagedProcess): Promise<void> => {
    await waitFor(readyz, { what: 'kube-apiserver /readyz', process: proc, timeoutMs: 60_000, intervalMs: 200 });
  };
  await ready(apiserver);
  const kubeconfig = kubeconfigYaml({
    cluster: 'cf-test',
    server,
    caCert: pki.caCert,
    user: 'cf-test-admin',
    clientCert: pki.adminCert,
    clientKey: pki.adminKey,
  });
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(kubeconfig);
  return {
    server,
    kubeConfig,
    kubeconfigPath,
    caPem,
    serviceAccountIssuer: ISSUER,
    etcd,
    get apiserver() {
      return apiserver;
    },
    async restartApiServer() {
      await apiserver.kill();
      apiserver = startApiServer();
      await ready(apiserver);
    },
    async stop() {
      await apiserver.stop();
      await etcd.stop();
    },
  };
}
