import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestPki, signedCert, type TestPki } from '../certificates.ts';
import { kubeconfigYaml } from '../kubeconfig.ts';

/** Certificates of one node run: the control plane's, plus one client identity per component. */
export interface NodePki extends TestPki {
  dir: string;
  /** Serves kube-apiserver on the bridge address and the `kubernetes` Service's names. */
  apiserverCert: string;
  apiserverKey: string;
  /** Serves the kubelet's API on the bridge address. */
  kubeletServingCert: string;
  kubeletServingKey: string;
}

/** The identities (file stem → subject) Kubernetes' default RBAC knows (kubernetes.io "PKI certificates"). */
export function clientIdentities(nodeName: string): Record<string, string> {
  return {
    kubelet: `/O=system:nodes/CN=system:node:${nodeName}`,
    'controller-manager': '/CN=system:kube-controller-manager',
    scheduler: '/CN=system:kube-scheduler',
    'kube-proxy': '/CN=system:kube-proxy',
    // kube-router has no built-in role; the NetworkPolicy engine reads cluster-wide, like an admin.
    'kube-router': '/O=system:masters/CN=cf-kube-router',
    'apiserver-kubelet-client': '/O=system:masters/CN=kube-apiserver-kubelet-client',
  };
}

/** Creates the CA, serving certificates and one client certificate per component in `dir`. */
export async function createNodePki(
  dir: string,
  options: { nodeName: string; nodeIp: string; apiIp: string; apiServiceIp: string },
): Promise<NodePki> {
  mkdirSync(dir, { recursive: true });
  const base = await createTestPki(dir);
  const names = [
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    'kubernetes.default.svc.cluster.local',
    'localhost',
  ];
  await signedCert(
    dir,
    'apiserver',
    '/CN=kube-apiserver',
    `subjectAltName=IP:127.0.0.1,IP:${options.nodeIp},IP:${options.apiIp},IP:${options.apiServiceIp},${names.map((n) => `DNS:${n}`).join(',')}\n` +
      'extendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n',
  );
  await signedCert(
    dir,
    'kubelet-serving',
    `/O=system:nodes/CN=system:node:${options.nodeName}`,
    `subjectAltName=IP:${options.nodeIp},DNS:${options.nodeName}\n` +
      'extendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n',
  );
  // One at a time: openssl's -CAcreateserial rewrites ca.srl on every signature.
  for (const [name, subject] of Object.entries(clientIdentities(options.nodeName)))
    await signedCert(dir, name, subject, 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n');
  return {
    ...base,
    dir,
    apiserverCert: join(dir, 'apiserver.crt'),
    apiserverKey: join(dir, 'apiserver.key'),
    kubeletServingCert: join(dir, 'kubelet-serving.crt'),
    kubeletServingKey: join(dir, 'kubelet-serving.key'),
  };
}

/** Writes `<dir>/<name>.kubeconfig` for the client certificate `<name>.crt` and returns its path. */
export function writeKubeconfig(pki: NodePki, name: string, server: string): string {
  const path = join(pki.dir, `${name}.kubeconfig`);
  writeFileSync(
    path,
    kubeconfigYaml({
      cluster: 'cf-node',
      server,
      caCert: pki.caCert,
      user: name,
      clientCert: join(pki.dir, `${name}.crt`),
      clientKey: join(pki.dir, `${name}.key`),
    }),
    { mode: 0o600 },
  );
  return path;
}
