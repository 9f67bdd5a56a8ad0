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
        // As pg answers: one result, or one per statement of a multi-statement text. pg-boss reads the rows of
        // every statement (its claims return a lock row before COMMIT), so nothing is unwrapped here.
        return (await connection.query(text, values)) as unknown as { rows: unknown[] };
      } finally {
        await manager.releaseConnection(connection);
      }
    },
  };
}
