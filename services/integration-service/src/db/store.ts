import type { Sequelize } from 'sequelize';
import { AccountStore } from './accounts.ts';
import { BotStore } from './bots.ts';
import { ChannelStore } from './channels.ts';
import { CooldownStore } from './cooldowns.ts';
import { DeliveryStore } from './deliveries.ts';
import { IntegrationLog } from './integration-log.ts';
import { LeaseStore } from './leases.ts';
import { LoginStore } from './logins.ts';
import { PostStore } from './posts.ts';
import { rowsQuery, type RowsQuery } from './rows.ts';

/** Every table of the service, one store each; user-facing reads are always filtered by the verified user id. */
export class Store {
  readonly sequelize: Sequelize;
  readonly logins: LoginStore;
  readonly accounts: AccountStore;
  readonly leases: LeaseStore;
  readonly cooldowns: CooldownStore;
  readonly log: IntegrationLog;
  readonly bots: BotStore;
  readonly channels: ChannelStore;
  readonly posts: PostStore;
  /** Publishing's delivery statements on the post targets. */
  readonly deliveries: DeliveryStore;
  /** One ad-hoc statement (tests and benchmarks). */
  readonly rows: RowsQuery;

  constructor(sequelize: Sequelize) {
    this.sequelize = sequelize;
    this.rows = rowsQuery(sequelize);
    this.logins = new LoginStore(this.rows);
    this.accounts = new AccountStore(sequelize);
    this.leases = new LeaseStore(this.rows);
    this.cooldowns = new CooldownStore(this.rows);
    this.log = new IntegrationLog(this.rows);
    this.bots = new BotStore(sequelize);
    this.channels = new ChannelStore(this.rows);
    this.posts = new PostStore(sequelize);
    this.deliveries = new DeliveryStore(this.rows);
  }
}

export type { AccountRow, AccountState } from './accounts.ts';
export type { Claim, Fence, LeaseRow } from './leases.ts';
export { PENDING_STATES, type LoginMethod, type LoginRow, type LoginState, type LoginUpdate } from './logins.ts';
