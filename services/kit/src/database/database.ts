import { Sequelize, type Options, type QueryInterface } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import type { Logger } from '../logger.ts';
import type { CredentialSource } from './credentials.ts';
import { pgSslOption, type DatabaseTls } from './tls.ts';

export interface DatabaseOptions {
  host: string;
  port: number;
  database: string;
  credentials: CredentialSource;
  /** Role to `SET ROLE` to after connecting, so objects belong to the service, not to a dynamic login. */
  ownerRole?: string;
  /** TLS of every connection (see `DatabaseTls`). Default: `disable`, for local runs. */
  tls?: DatabaseTls;
  /** Pool size. Default: max 10, min 0. */
  pool?: { max?: number; min?: number; acquireMs?: number; idleMs?: number };
  /**
   * Deadlines, in ms, of opening a connection (TCP + TLS + startup; pg's `connectionTimeoutMillis`) and of one
   * query as the client waits for it (pg's `query_timeout`; the server may still be running it). Defaults: 5 s and
   * 60 s — longer than any statement the services issue, short enough that a PostgreSQL that accepts connections but
   * never answers fails a request instead of hanging it.
   */
  deadlines?: { connectMs?: number; queryMs?: number };
  /** How long stale-credential connections may stay in use after a rotation. Default: 30 s. */
  drainMs?: number;
  logger?: Logger;
}

export interface Migration {
  /** Sorted by name: prefix with a zero-padded number, e.g. `0001-create-users`. */
  name: string;
  up(context: { queryInterface: QueryInterface; sequelize: Sequelize }): Promise<void>;
}

/**
 * A migration's `up` that sends each SQL text to PostgreSQL in order, one query each (a text may hold several
 * statements): what a schema change of ours is. `migrations: [{ name: '0002-x', up: sqlStatements([`ALTER …`]) }]`.
 */
export function sqlStatements(statements: readonly string[]): Migration['up'] {
  return async function up({ sequelize }) {
    for (const statement of statements) await sequelize.query(statement);
  };
}

/** Tags each pg client with the login it was opened with, so rotation can retire exactly the stale ones. */
interface TaggedConnection {
  user?: string;
  _ending?: boolean;
  _invalid?: boolean;
  query(sql: string): Promise<unknown>;
}

/** An advisory-lock key shared by every replica of every service: migrations run one at a time. */
const MIGRATION_LOCK = 0x63666d67; // "cfmg"

/**
 * A sequelize instance whose logins come from a credential source. On rotation new connections use the
 * new login; idle stale connections are dropped at their next checkout and busy ones after they are
 * released, so no request fails; then the old login is retired.
 */
export class Database {
  readonly sequelize: Sequelize;
  private readonly options: DatabaseOptions;
  private readonly openByUser = new Map<string, number>();
  private readonly stale = new Set<string>();
  private readonly onRotated: (username: string) => void;

  constructor(options: DatabaseOptions) {
    this.options = options;
    const sequelizeOptions: Options = {
      dialect: 'postgres',
      host: options.host,
      port: options.port,
      database: options.database,
      logging: false,
      dialectOptions: {
        ssl: pgSslOption(options.tls ?? { mode: 'disable' }),
        connectionTimeoutMillis: options.deadlines?.connectMs ?? 5_000,
        query_timeout: options.deadlines?.queryMs ?? 60_000,
        keepAlive: true,
      },
      pool: {
        max: options.pool?.max ?? 10,
        min: options.pool?.min ?? 0,
        acquire: options.pool?.acquireMs ?? 10_000,
        idle: options.pool?.idleMs ?? 10_000,
        evict: 1000,
        validate: (connection: unknown) => this.usable(connection as TaggedConnection),
      },
      hooks: {
        beforeConnect: async (config) => {
          const login = await options.credentials.current();
          config.username = login.username;
          config.password = login.password;
        },
        afterConnect: async (connection) => {
          const client = connection as TaggedConnection;
          const user = client.user ?? '';
          this.openByUser.set(user, (this.openByUser.get(user) ?? 0) + 1);
          if (options.ownerRole !== undefined) {
            await client.query(`SET ROLE "${options.ownerRole.replaceAll('"', '""')}"`);
          }
        },
        afterDisconnect: async (connection) => {
          const user = (connection as TaggedConnection).user ?? '';
          const left = (this.openByUser.get(user) ?? 1) - 1;
          this.openByUser.set(user, left);
          if (left <= 0 && this.stale.has(user)) await this.retire(user);
        },
      },
    };
    this.sequelize = new Sequelize(sequelizeOptions);
    this.onRotated = (username) => this.markStale(username);
    options.credentials.on('rotated', this.onRotated);
  }

  private usable(connection: TaggedConnection): boolean {
    if (connection._invalid === true || connection._ending === true) return false;
    return !this.stale.has(connection.user ?? '');
  }

  private markStale(username: string): void {
    this.stale.add(username);
    if ((this.openByUser.get(username) ?? 0) === 0) {
      void this.retire(username);
      return;
    }
    // Busy connections get a grace period; after it the old login goes regardless (its lease would anyway).
    const timer = setTimeout(() => void this.retire(username), this.options.drainMs ?? 30_000);
    timer.unref();
  }

  private async retire(username: string): Promise<void> {
    if (!this.stale.delete(username)) return;
    this.openByUser.delete(username);
    await this.options.credentials.retire(username);
  }

  /** Connections open per login name — for tests and metrics. */
  connectionsByUser(): Record<string, number> {
    return Object.fromEntries([...this.openByUser].filter(([, count]) => count > 0));
  }

  async ping(): Promise<boolean> {
    await this.sequelize.query('SELECT 1');
    return true;
  }

  /** Applies pending migrations in name order, holding an advisory lock so replicas never race. */
  async migrate(migrations: readonly Migration[]): Promise<string[]> {
    const sequelize = this.sequelize;
    return sequelize.transaction(async (transaction) => {
      await sequelize.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`, { transaction });
      const umzug = new Umzug({
        migrations: [...migrations]
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((migration) => ({
            name: migration.name,
            up: async () => migration.up({ queryInterface: sequelize.getQueryInterface(), sequelize }),
          })),
        context: sequelize.getQueryInterface(),
        storage: new SequelizeStorage({ sequelize, tableName: 'schema_migrations' }),
        logger: undefined,
      });
      const applied = await umzug.up();
      return applied.map((migration) => migration.name);
    });
  }

  async close(): Promise<void> {
    this.options.credentials.off('rotated', this.onRotated);
    await this.sequelize.close();
    await this.options.credentials.close();
  }
}
