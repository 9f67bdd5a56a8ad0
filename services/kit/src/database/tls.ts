import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * How a connection uses TLS, after libpq's `sslmode` (postgresql.org/docs/current/libpq-ssl.html#LIBPQ-SSL-PROTECTION):
 * `disable` plain TCP (local runs); `require` encrypted, certificate not checked; `verify-full` encrypted, the
 * certificate chains to `ca` and names the host connected to. There is no fallback to plaintext in any mode.
 */
export type DatabaseTls = { mode: 'disable' } | { mode: 'require' } | { mode: 'verify-full'; ca: string };

/** Environment of the database's TLS, spread into a service's config schema; libpq's names with our prefix. */
export const databaseTlsEnv = {
  DATABASE_SSLMODE: z.enum(['disable', 'require', 'verify-full']).default('disable'),
  /** PEM bundle of the CA(s) the server certificate must chain to; required with `verify-full`. */
  DATABASE_SSLROOTCERT: z.string().min(1).optional(),
};

export interface DatabaseTlsEnv {
  DATABASE_SSLMODE?: 'disable' | 'require' | 'verify-full' | undefined;
  DATABASE_SSLROOTCERT?: string | undefined;
}

/** The TLS settings the environment names; a `verify-full` without a readable CA file is a startup error. */
export function databaseTlsFromEnv(settings: DatabaseTlsEnv): DatabaseTls {
  const mode = settings.DATABASE_SSLMODE ?? 'disable';
  if (mode !== 'verify-full') return { mode };
  if (settings.DATABASE_SSLROOTCERT === undefined) {
    throw new Error('invalid configuration: DATABASE_SSLROOTCERT: required when DATABASE_SSLMODE=verify-full');
  }
  try {
    return { mode, ca: readFileSync(settings.DATABASE_SSLROOTCERT, 'utf8') };
  } catch (error) {
    throw new Error(`invalid configuration: DATABASE_SSLROOTCERT: cannot read ${settings.DATABASE_SSLROOTCERT}`, {
      cause: error,
    });
  }
}

/** node-postgres' `ssl` option for a mode (its tls.connect checks the hostname against the certificate). */
export function pgSslOption(tls: DatabaseTls): false | { rejectUnauthorized: boolean; ca?: string } {
  switch (tls.mode) {
    case 'disable':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-full':
      return { rejectUnauthorized: true, ca: tls.ca };
  }
}
