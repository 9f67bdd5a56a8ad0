import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';

/** One parameterised statement; the rows it returns (none for statements without RETURNING). */
export type RowsQuery = <Row extends object>(
  sql: string,
  bind?: unknown[],
  transaction?: Transaction,
) => Promise<Row[]>;

export function rowsQuery(sequelize: Sequelize): RowsQuery {
  return <Row extends object>(sql: string, bind: unknown[] = [], transaction?: Transaction) =>
    sequelize.query<Row>(sql, { bind, type: QueryTypes.SELECT, ...(transaction ? { transaction } : {}) });
}

/**
 * SQL condition that holds while the fence (`$n` resource, `$n+1` token) is still the live lease: every
 * write of a lease holder carries it, so a pod that lost its lease cannot overwrite the new owner's work.
 */
export const fenceHolds = (n: number): string =>
  `EXISTS (SELECT 1 FROM leases WHERE resource = $${n} AND token = $${n + 1} AND expires_at > now())`;

/** Base of the stores that need transactions as well as single statements. */
export abstract class TransactionalStore {
  protected readonly sequelize: Sequelize;
  protected readonly rows: RowsQuery;

  constructor(sequelize: Sequelize) {
    this.sequelize = sequelize;
    this.rows = rowsQuery(sequelize);
  }
}
