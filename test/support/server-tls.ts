import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** PEM files of a throwaway CA and one server certificate it signed, as cert-manager's CA issuer would. */
export interface ServerTls {
  dir: string;
  /** The CA's certificate (what clients trust). */
  caCert: string;
  /** The server certificate followed by nothing else, and its key (mode 0600). */
  cert: string;
  key: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (error) {
    throw new Error(
      `openssl ${args[0]} failed: ${(error as Error).message}; install it with: apt-get install openssl`,
      {
        cause: error,
      },
    );
  }
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
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir);
  await openssl(
    ['req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=cf-test-internal-ca', '-days', '2', '-out', 'ca.crt'],
    dir,
  );
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'tls.key'], dir);
  await openssl(
    ['req', '-new', '-key', 'tls.key', '-subj', `/CN=${names.commonName ?? names.dnsNames[0]}`, '-out', 'tls.csr'],
    dir,
  );
  const san = [...names.dnsNames.map((n) => `DNS:${n}`), ...(names.ips ?? []).map((ip) => `IP:${ip}`)].join(',');
  writeFileSync(
    join(dir, 'tls.ext'),
    `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n`,
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      'tls.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      'tls.crt',
      '-extfile',
      'tls.ext',
    ],
    dir,
  );
  return { dir, caCert: join(dir, 'ca.crt'), cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') };
}
