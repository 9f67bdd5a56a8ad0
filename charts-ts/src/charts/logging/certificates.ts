import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { labels } from '../../platform.ts';
import { logging } from './names.ts';

/** A certificate from the internal CA; its Secret (same name) holds `tls.crt`, `tls.key` and `ca.crt`. */
export function loggingCertificate(
  scope: Construct,
  name: string,
  namespace: string,
  dnsNames: string[],
  usages: string[] = ['server auth', 'client auth'],
): void {
  new ApiObject(scope, `${name}-certificate`, {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name, namespace, labels: labels(name, 'logging') },
    spec: {
      secretName: name,
      commonName: dnsNames[0] ?? name,
      dnsNames,
      duration: '2160h',
      renewBefore: '360h',
      usages,
      // PKCS#8: what Logstash's beats input and Elasticsearch both read.
      privateKey: { algorithm: 'ECDSA', size: 256, encoding: 'PKCS8', rotationPolicy: 'Always' },
      issuerRef: { name: logging.caIssuer, kind: 'ClusterIssuer', group: 'cert-manager.io' },
    },
  });
}

export const TLS_DIR = '/run/cf-tls';
