import { join } from 'node:path';
import { startPostgres, type PostgresServer } from '@cf/embedded/postgres';
import { services } from '@cf/charts/platform';

/** Services that own a database, with its name (also the owner role's name), as the cluster declares them. */
export const databases = services
  .filter((s) => s.database !== undefined)
  .map((s) => ({ service: s.name, database: s.database! }));

/**
 * PostgreSQL with durable settings (PostgreSQL's defaults: fsync, full-page writes, synchronous commit) and data in
 * `.local/postgres`, holding what CloudNativePG's `managed.roles` and `Database` objects create in the cluster:
 * one owner role (no login) and one database per service.
 */
export async function startLocalPostgres(state: string, port: number): Promise<PostgresServer> {
  const postgres = await startPostgres({ dir: join(state, 'postgres'), durability: 'durable', port });
  const roles = new Set(
    (await postgres.query<{ rolname: string }>('SELECT rolname FROM pg_roles')).map((row) => row.rolname),
  );
  const existing = new Set(
    (await postgres.query<{ datname: string }>('SELECT datname FROM pg_database')).map((row) => row.datname),
  );
  for (const { database } of databases) {
    if (!roles.has(database)) await postgres.query(`CREATE ROLE ${database} NOLOGIN INHERIT`);
    if (!existing.has(database)) await postgres.query(`CREATE DATABASE ${database} OWNER ${database}`);
  }
  return postgres;
}
