import { AvailableChatView, BotRightsView, ChannelView } from './channel-routes.ts';
import { Entity, ImageView, PostView, TargetView } from './post-routes.ts';
import { Account, AccountList, Bot, BotList, ErrorStats, Login, LogPage } from './responses.ts';

/**
 * The shapes the OpenAPI document states once, under `components.schemas`, and refers to from every
 * operation that sends or takes them (the web's generated client names them the same way). Telegram's
 * logins and accounts say so in their names: the gateway's document also holds user-service's accounts.
 */
export const DOCUMENT_SCHEMAS = {
  TelegramLogin: Login,
  TelegramAccount: Account,
  TelegramAccountList: AccountList,
  IntegrationLogPage: LogPage,
  ErrorStats,
  Bot,
  BotList,
  Channel: ChannelView,
  AvailableChat: AvailableChatView,
  BotRights: BotRightsView,
  PostEntity: Entity,
  PostTarget: TargetView,
  Post: PostView,
  Image: ImageView,
};
