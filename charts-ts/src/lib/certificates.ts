import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { internalCa, labels } from '../platform.ts';

export interface ServerCertificateProps {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  dnsNames: string[];
  ipAddresses?: string[];
  usages?: string[];
}

/**
 * A cert-manager `Certificate` from the internal CA: its Secret (named like the Certificate) holds `tls.crt`,
 * `tls.key` and the issuing CA's `ca.crt`. 90 days, renewed 30 days early, a fresh P-256 key at every renewal.
 */
export function internalCertificate(scope: Construct, id: string, props: ServerCertificateProps): ApiObject {
  return new ApiObject(scope, id, {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
    spec: {
      secretName: props.name,
      usages: props.usages ?? ['server auth'],
      dnsNames: props.dnsNames,
      ...(props.ipAddresses !== undefined ? { ipAddresses: props.ipAddresses } : {}),
      duration: '2160h',
      renewBefore: '720h',
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      issuerRef: { name: internalCa.issuer, kind: 'ClusterIssuer', group: 'cert-manager.io' },
    },
  });
}

/**
 * The namespace's trust Secret (`internalCa.trustSecret`): cert-manager has no CA-only object, so a client
 * certificate's Secret carries the issuing CA's `ca.crt`, the one key pods mount. (trust-manager's Bundle would
 * distribute the CA alone; it is not installed.)
 */
export function trustCertificate(scope: Construct, namespace: string): ApiObject {
  return internalCertificate(scope, 'internal-trust', {
    name: internalCa.trustSecret,
    namespace,
    labels: labels(internalCa.trustSecret, 'trust'),
    dnsNames: [`${internalCa.trustSecret}.${namespace}`],
    usages: ['client auth'],
  });
}

/** `name`, `name.ns`, `name.ns.svc`, `name.ns.svc.cluster.local`: every way a client in the cluster names a Service. */
export function serviceDnsNames(name: string, namespace: string): string[] {
  return [name, `${name}.${namespace}`, `${name}.${namespace}.svc`, `${name}.${namespace}.svc.cluster.local`];
}

/** A volume of only the CA bundle of a certificate Secret (never its private key). */
export function caBundleVolume(
  volumeName: string,
  secretName: string,
): {
  name: string;
  secret: { secretName: string; items: { key: string; path: string }[] };
} {
  return { name: volumeName, secret: { secretName, items: [{ key: internalCa.file, path: internalCa.file }] } };
}
