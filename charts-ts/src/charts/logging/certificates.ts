import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { labels } from '../../platform.ts';
import { logging } from './names.ts';

const CA_SECRET = 'cf-logging-ca';
const SELF_SIGNED = 'cf-logging-selfsigned';

/**
 * The stack's own CA: a self-signed root (in cert-manager's cluster resource namespace, as a `ca` ClusterIssuer
 * requires) that issues every certificate inside the logging stack, in both profiles — so Filebeat, in its own
 * namespace, gets a client certificate and the CA from the same issuer.
 */
export function loggingCa(scope: Construct): void {
  const meta = { labels: labels('logging-ca', 'logging') };
  new ApiObject(scope, 'logging-selfsigned', {
    apiVersion: 'cert-manager.io/v1',
    kind: 'ClusterIssuer',
    metadata: { name: SELF_SIGNED, ...meta },
    spec: { selfSigned: {} },
  });
  new ApiObject(scope, 'logging-ca-certificate', {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: CA_SECRET, namespace: 'cert-manager', ...meta },
    spec: {
      isCA: true,
      commonName: 'Content Factory logging CA',
      secretName: CA_SECRET,
      duration: '87600h',
      privateKey: { algorithm: 'ECDSA', size: 256 },
      issuerRef: { name: SELF_SIGNED, kind: 'ClusterIssuer', group: 'cert-manager.io' },
    },
  });
  new ApiObject(scope, 'logging-ca-issuer', {
    apiVersion: 'cert-manager.io/v1',
    kind: 'ClusterIssuer',
    metadata: { name: logging.caIssuer, ...meta },
    spec: { ca: { secretName: CA_SECRET } },
  });
}

/** A certificate from the logging CA; its Secret (same name) holds `tls.crt`, `tls.key` and `ca.crt`. */
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
