import { readFileSync } from 'node:fs';

/** A client of one API server, by certificate: the PEM files are read and embedded, so the result stands alone. */
export interface KubeconfigIdentity {
  /** Names the cluster and the context. */
  cluster: string;
  server: string;
  caCert: string;
  user: string;
  clientCert: string;
  clientKey: string;
}

/** A kubeconfig with one cluster, one user and the context joining them, made current. */
export function kubeconfigYaml(identity: KubeconfigIdentity): string {
  const b64 = (file: string): string => readFileSync(file).toString('base64');
  const { cluster, user } = identity;
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${cluster}`,
    '  cluster:',
    `    server: ${identity.server}`,
    `    certificate-authority-data: ${b64(identity.caCert)}`,
    'users:',
    `- name: ${user}`,
    '  user:',
    `    client-certificate-data: ${b64(identity.clientCert)}`,
    `    client-key-data: ${b64(identity.clientKey)}`,
    'contexts:',
    `- name: ${cluster}`,
    '  context:',
    `    cluster: ${cluster}`,
    `    user: ${user}`,
    `current-context: ${cluster}`,
    '',
  ].join('\n');
}
