import { Api, GrammyError, HttpError, InputFile } from 'grammy';
import type { MessageEntity, OutgoingPost } from '../telegram/port.ts';

/** What Bot API `getMe` says about a bot. */
export interface BotInfo {
  id: string;
  username: string;
  firstName: string;
}

/**
 * `Forbidden`: the bot may not post there (403, or 400 "not enough rights"); `ChatNotFound`: 400 "chat not
 * found". A `Timeout` or `Unreachable` during a send leaves its outcome unknown.
 */
export type BotApiErrorKind =
  'TokenInvalid' | 'FloodWait' | 'Timeout' | 'Unreachable' | 'Unavailable' | 'Forbidden' | 'ChatNotFound';

/** A bot's standing in a chat (Bot API `getChatMember` of the bot itself). */
export interface BotMembership {
  status: 'creator' | 'administrator' | 'member' | 'restricted' | 'left' | 'kicked';
  /** Creator, or administrator with `can_post_messages` (channels) — administrators of supergroups may post. */
  canPost: boolean;
}

/** A Bot API failure in our words. Never carries the token. */
export class BotApiError extends Error {
  readonly kind: BotApiErrorKind;
  /** FloodWait: seconds Telegram asked to wait (`parameters.retry_after`). */
  readonly seconds: number;

  constructor(kind: BotApiErrorKind, seconds = 0) {
    super(kind);
    this.name = 'BotApiError';
    this.kind = kind;
    this.seconds = seconds;
  }
}

/** The one interface every Bot API call goes through (the fake Bot API server stands behind it in tests). */
export interface BotApi {
  getMe(token: string): Promise<BotInfo>;
  /** The bot's own membership in `chatId` (`-100<channel id>`). */
  getChatMember(token: string, chatId: string, botId: string): Promise<BotMembership>;
  /** `sendMessage`, `sendPhoto` or `sendMediaGroup`; the id of the (first) message. No idempotency key exists. */
  send(token: string, chatId: string, post: OutgoingPost): Promise<{ messageId: number }>;
}

export interface GrammyBotApiOptions {
  /** Default: https://api.telegram.org (grammY's). Tests and demo mode point it at the fake on 127.0.0.1. */
  apiRoot?: string;
  /** Deadline of each call, in seconds (grammY aborts the request; its own default is 500 s). */
  timeoutSeconds: number;
}

/** grammY's API client (not hand-written HTTP): one `Api` per call, as the token differs per bot. */
export class GrammyBotApi implements BotApi {
  private readonly options: GrammyBotApiOptions;

  constructor(options: GrammyBotApiOptions) {
    this.options = options;
  }

  private api(token: string): Api {
    return new Api(token, {
      // grammY aborts the request a moment after our own deadline has answered the caller.
      timeoutSeconds: this.options.timeoutSeconds + 1,
      ...(this.options.apiRoot !== undefined ? { apiRoot: this.options.apiRoot } : {}),
    });
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BotApiError('Timeout')), this.options.timeoutSeconds * 1000);
    });
    const call = work();
    call.catch(() => undefined);
    try {
      return await Promise.race([call, deadline]);
    } catch (error) {
      throw toBotApiError(error);
    } finally {
      clearTimeout(timer);
    }
  }

  async getMe(token: string): Promise<BotInfo> {
    const me = await this.call(() => this.api(token).getMe());
    return { id: String(me.id), username: me.username, firstName: me.first_name };
  }

  async getChatMember(token: string, chatId: string, botId: string): Promise<BotMembership> {
    const member = await this.call(() => this.api(token).getChatMember(chatId, Number(botId)));
    const canPost =
      member.status === 'creator' || (member.status === 'administrator' && member.can_post_messages !== false);
    return { status: member.status, canPost };
  }

  async send(token: string, chatId: string, post: OutgoingPost): Promise<{ messageId: number }> {
    const api = this.api(token);
    const entities = post.entities.map(botEntity);
    const common = { disable_notification: post.silent };
    if (post.images.length === 0) {
      const sent = await this.call(() => api.sendMessage(chatId, post.text, { ...common, entities }));
      return { messageId: sent.message_id };
    }
    if (post.images.length === 1) {
      const photo = new InputFile(post.images[0]!.data);
      const sent = await this.call(() =>
        api.sendPhoto(chatId, photo, { ...common, caption: post.text, caption_entities: entities }),
      );
      return { messageId: sent.message_id };
    }
    const media = post.images.map((image, index) => ({
      type: 'photo' as const,
      media: new InputFile(image.data),
      ...(index === 0 ? { caption: post.text, caption_entities: entities } : {}),
    }));
    const sent = await this.call(() => api.sendMediaGroup(chatId, media, common));
    return { messageId: sent[0]?.message_id ?? 0 };
  }
}

/** Our entity as the Bot API's (same names, except `text_link` carries its url the same way). */
function botEntity(entity: MessageEntity) {
  if (entity.type === 'text_link') {
    return { type: 'text_link' as const, offset: entity.offset, length: entity.length, url: entity.url ?? '' };
  }
  return { type: entity.type, offset: entity.offset, length: entity.length };
}

/** grammY's errors as ours; the original (which may name the request URL, so the token) is dropped. */
export function toBotApiError(error: unknown): BotApiError {
  if (error instanceof BotApiError) return error;
  if (error instanceof GrammyError) {
    if (error.error_code === 401 || error.error_code === 404) return new BotApiError('TokenInvalid');
    if (error.error_code === 429) return new BotApiError('FloodWait', error.parameters.retry_after ?? 1);
    if (error.error_code === 403) return new BotApiError('Forbidden');
    if (error.error_code === 400 && /chat not found/i.test(error.description)) return new BotApiError('ChatNotFound');
    if (error.error_code === 400 && /rights|administrator|not enough/i.test(error.description)) {
      return new BotApiError('Forbidden');
    }
    return new BotApiError('Unavailable');
  }
  if (error instanceof HttpError) return new BotApiError('Unreachable');
  return new BotApiError('Unavailable');
}
