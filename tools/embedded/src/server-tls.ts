import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { selfSignedCa, signedCert } from './certificates.ts';

/** PEM files of a throwaway CA and one server certificate it signed, as cert-manager's CA issuer would. */
export interface ServerTls {
  dir: string;
  /** The CA's certificate (what clients trust). */
  caCert: string;
  /** The server certificate followed by nothing else, and its key (mode 0600). */
  cert: string;
  key: string;
}

/**
 * A P-256 CA and a server certificate for `dnsNames` and `ips` (serverAuth), valid two days, made with the
 * machine's openssl in `dir`. Same shape as the internal CA's certificates in the cluster (tls.crt, tls.key, ca.crt).
 */
export async function issueServerTls(
  dir: string,
  names: { dnsNames: string[]; ips?: string[]; commonName?: string },
): Promise<ServerTls> {
  mkdirSync(dir, { recursive: true });
  await selfSignedCa(dir, 'cf-test-internal-ca');
  const san = [...names.dnsNames.map((n) => `DNS:${n}`), ...(names.ips ?? []).map((ip) => `IP:${ip}`)].join(',');
  await signedCert(
    dir,
    'tls',
    `/CN=${names.commonName ?? names.dnsNames[0]}`,
    `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n`,
  );
  return { dir, caCert: join(dir, 'ca.crt'), cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') };
}
