import type { Logger } from '@cf/kit';
import type { SessionCipher } from './cipher.ts';
import type { Store } from './db/store.ts';
import type { TelegramMetrics } from './metrics.ts';
import type { LeaseHolder } from './ownership/holder.ts';
import type { TelegramPort } from './telegram/port.ts';

/** What the account and login work of one pod is built from. */
export interface WorkDeps {
  holder: LeaseHolder;
  store: Store;
  cipher: SessionCipher;
  port: TelegramPort;
  metrics: TelegramMetrics;
  logger: Logger;
}
