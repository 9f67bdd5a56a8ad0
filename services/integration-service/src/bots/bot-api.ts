import { Api, GrammyError, HttpError } from 'grammy';

/** What Bot API `getMe` says about a bot. */
export interface BotInfo {
  id: string;
  username: string;
  firstName: string;
}

export type BotApiErrorKind = 'TokenInvalid' | 'FloodWait' | 'Timeout' | 'Unreachable' | 'Unavailable';

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

  async getMe(token: string): Promise<BotInfo> {
    const api = new Api(token, {
      // grammY aborts the request a moment after our own deadline has answered the caller.
      timeoutSeconds: this.options.timeoutSeconds + 1,
      ...(this.options.apiRoot !== undefined ? { apiRoot: this.options.apiRoot } : {}),
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BotApiError('Timeout')), this.options.timeoutSeconds * 1000);
    });
    const call = api.getMe();
    call.catch(() => undefined);
    try {
      const me = await Promise.race([call, deadline]);
      return { id: String(me.id), username: me.username, firstName: me.first_name };
    } catch (error) {
      throw toBotApiError(error);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** grammY's errors as ours; the original (which may name the request URL, so the token) is dropped. */
export function toBotApiError(error: unknown): BotApiError {
  if (error instanceof BotApiError) return error;
  if (error instanceof GrammyError) {
    if (error.error_code === 401 || error.error_code === 404) return new BotApiError('TokenInvalid');
    if (error.error_code === 429) return new BotApiError('FloodWait', error.parameters.retry_after ?? 1);
    return new BotApiError('Unavailable');
  }
  if (error instanceof HttpError) return new BotApiError('Unreachable');
  return new BotApiError('Unavailable');
}
