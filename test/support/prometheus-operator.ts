// The real prometheus-operator against a test kube-apiserver, acting as its own ServiceAccount (impersonation),
// so the charts' RBAC is what it gets.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveBinary } from './binaries.ts';
import type { ControlPlane } from './control-plane.ts';
import { scratchDir, spawnManaged, type ManagedProcess } from './process.ts';

/** Flags that only matter in a cluster (images of the pods it would create, log format) are kept as given. */
export async function startPrometheusOperator(
  cp: ControlPlane,
  options: { args: string[]; serviceAccount: { namespace: string; name: string } },
): Promise<ManagedProcess> {
  const bin = (await resolveBinary('prometheus-operator')).path;
  const dir = scratchDir('prometheus-operator');
  const user = cp.kubeConfig.getCurrentUser();
  if (user?.certData === undefined || user.keyData === undefined)
    throw new Error('control plane has no admin client certificate');
  const pem = (b64: string, name: string): string => {
    const file = join(dir, name);
    writeFileSync(file, Buffer.from(b64, 'base64'), { mode: 0o600 });
    return file;
  };
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, cp.caPem);
  return spawnManaged(
    bin,
    [
      `--apiserver=${cp.server}`,
      `--ca-file=${caFile}`,
      `--cert-file=${pem(user.certData, 'admin.pem')}`,
      `--key-file=${pem(user.keyData, 'admin-key.pem')}`,
      `--as=system:serviceaccount:${options.serviceAccount.namespace}:${options.serviceAccount.name}`,
      '--web.listen-address=127.0.0.1:0',
      ...options.args,
    ],
    { name: 'prometheus-operator', logFile: join(dir, 'operator.log') },
  );
}
