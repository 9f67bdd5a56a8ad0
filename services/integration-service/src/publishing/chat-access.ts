import type { Logger } from '@cf/kit';
import type { BotApi } from '../bots/bot-api.ts';
import type { SessionCipher } from '../cipher.ts';
import type { Store } from '../db/store.ts';
import type { LeaseHolder } from '../ownership/holder.ts';

/**
 * What reaching a Telegram chat takes, for channel management and for delivery alike: the rows, the account
 * leases (an account's chat is reached through the connection on the pod holding its lease), the cipher its
 * stored session is sealed with, the Bot API for bot chats, and the log.
 */
export interface ChatAccess {
  store: Store;
  holder: LeaseHolder;
  cipher: SessionCipher;
  botApi: BotApi;
  logger: Logger;
}
