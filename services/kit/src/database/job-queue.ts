import type { Client } from 'pg';
import type { Sequelize } from 'sequelize';

/** The one call a PostgreSQL job queue needs (pg-boss's `IDatabase`), shaped structurally so the kit needs no queue. */
export interface SqlExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * Runs a job queue's SQL on the service's own sequelize pool, so the queue uses the same credentials — which under
 * Vault's database engine rotate (kit `Database`) — and the same TLS as every other query, with no pool of its own.
 * The statement goes to the `pg` client as is: sequelize's own `bind` would parse the `$` in the queue's PL/pgSQL.
 * Throws what `pg` throws.
 */
export function sequelizeSqlExecutor(sequelize: Sequelize): SqlExecutor {
  const manager = sequelize.connectionManager as unknown as {
    getConnection(options: { type: 'write' }): Promise<Client>;
    releaseConnection(connection: Client): Promise<void> | void;
  };
  return {
    async executeSql(text, values) {
      const connection = await manager.getConnection({ type: 'write' });
      try {
        const result = await connection.query(text, values);
        return { rows: result.rows };
      } finally {
        await manager.releaseConnection(connection);
      }
    },
  };
}
