import { Api, errors, TelegramClient } from 'telegram';
import { Logger as GramLogger, LogLevel } from 'telegram/extensions/Logger.js';
import { computeCheck } from 'telegram/Password.js';
import { StringSession } from 'telegram/sessions/index.js';
import {
  TelegramError,
  type CodeType,
  type LoginTokenResult,
  type OutgoingPost,
  type SentCode,
  type TelegramChat,
  type TelegramPeer,
  type TelegramConnection,
  type TelegramPort,
  type TelegramUser,
} from './port.ts';
import { kindOfMessage } from './errors.ts';
import { readChat, readChats, sendPost, type PublishingClient } from './gramjs-publishing.ts';

/** Maps an error thrown by GramJS (an `RPCError` subclass, usually) to a domain error, by `telegram/errors.ts`. */
export function toDomainError(error: unknown): TelegramError {
  if (error instanceof TelegramError) return error;
  // GramJS turns FLOOD_WAIT_X (also FLOOD_PREMIUM_WAIT_X) and *_MIGRATE_X into classes that drop the message.
  if (error instanceof errors.FloodWaitError || error instanceof errors.FloodTestPhoneWaitError) {
    return new TelegramError('FloodWait', { seconds: error.seconds, cause: error });
  }
  if (error instanceof errors.InvalidDCError) return new TelegramError('Migrate', { cause: error });
  if (error instanceof errors.RPCError) {
    const { kind, number } = kindOfMessage(error.errorMessage);
    const seconds = kind === 'FloodWait' && number !== undefined ? { seconds: number } : {};
    return new TelegramError(kind, { ...seconds, cause: error });
  }
  return new TelegramError('Unavailable', { cause: error });
}

function codeTypeOf(type: Api.auth.TypeSentCodeType | Api.auth.TypeCodeType | undefined): CodeType | undefined {
  if (type === undefined) return undefined;
  if (type instanceof Api.auth.SentCodeTypeApp) return 'app';
  if (
    type instanceof Api.auth.SentCodeTypeSms ||
    type instanceof Api.auth.CodeTypeSms ||
    type instanceof Api.auth.SentCodeTypeSmsWord ||
    type instanceof Api.auth.SentCodeTypeSmsPhrase ||
    type instanceof Api.auth.SentCodeTypeFirebaseSms
  )
    return 'sms';
  if (type instanceof Api.auth.SentCodeTypeCall || type instanceof Api.auth.CodeTypeCall) return 'call';
  if (type instanceof Api.auth.SentCodeTypeFlashCall || type instanceof Api.auth.CodeTypeFlashCall) return 'flash_call';
  if (type instanceof Api.auth.SentCodeTypeMissedCall || type instanceof Api.auth.CodeTypeMissedCall)
    return 'missed_call';
  if (type instanceof Api.auth.SentCodeTypeEmailCode) return 'email';
  if (type instanceof Api.auth.SentCodeTypeFragmentSms || type instanceof Api.auth.CodeTypeFragmentSms)
    return 'fragment_sms';
  return 'other';
}

function sentCodeOf(result: Api.auth.TypeSentCode): SentCode {
  if (!(result instanceof Api.auth.SentCode)) {
    // SentCodeSuccess only answers future-auth tokens, which we never send.
    throw new TelegramError('Unavailable');
  }
  return {
    phoneCodeHash: result.phoneCodeHash,
    codeType: codeTypeOf(result.type) ?? 'other',
    nextCodeType: codeTypeOf(result.nextType),
    timeout: result.timeout,
  };
}

function userOf(user: Api.TypeUser | undefined): TelegramUser {
  if (!(user instanceof Api.User)) throw new TelegramError('Unavailable');
  return {
    id: user.id.toString(),
    firstName: user.firstName,
    lastName: user.lastName,
    username: user.username,
    phone: user.phone,
  };
}

function authorizedUser(result: Api.auth.TypeAuthorization): TelegramUser {
  if (result instanceof Api.auth.Authorization) return userOf(result.user);
  // AuthorizationSignUpRequired: the number has no Telegram account; we do not sign people up.
  throw new TelegramError('PhoneUnoccupied');
}

function loginTokenOf(result: Api.auth.TypeLoginToken): LoginTokenResult {
  if (result instanceof Api.auth.LoginToken) {
    return { kind: 'token', token: Buffer.from(result.token), expiresAt: new Date(result.expires * 1000) };
  }
  if (result instanceof Api.auth.LoginTokenMigrateTo) {
    return { kind: 'migrate', dcId: result.dcId, token: Buffer.from(result.token) };
  }
  return { kind: 'success', user: authorizedUser(result.authorization) };
}

/** The part of TelegramClient the adapter uses; tests hand in a real client with `invoke` stubbed. */
export type GramClient = Pick<
  TelegramClient,
  'invoke' | 'connect' | 'destroy' | 'addEventHandler' | 'session' | 'uploadFile'
> & {
  _switchDC(dcId: number): Promise<unknown>;
};

export interface GramJsPortOptions {
  apiId: number;
  apiHash: string;
  /** Builds the client for a session; default: a real `TelegramClient` (tests stub its network calls). */
  createClient?: (session: StringSession, apiId: number, apiHash: string) => GramClient;
}

/** A quiet `TelegramClient` that never sleeps through flood waits: request paths answer 429 instead. */
export function createGramClient(session: StringSession, apiId: number, apiHash: string): TelegramClient {
  return new TelegramClient(session, apiId, apiHash, {
    floodSleepThreshold: 0,
    connectionRetries: 3,
    baseLogger: new GramLogger(LogLevel.NONE),
  });
}

class GramJsConnection implements TelegramConnection {
  private readonly client: GramClient;
  private readonly apiId: number;
  private readonly apiHash: string;

  constructor(client: GramClient, apiId: number, apiHash: string) {
    this.client = client;
    this.apiId = apiId;
    this.apiHash = apiHash;
  }

  private async call<R>(request: Api.AnyRequest & { __response?: R }): Promise<R> {
    try {
      return (await this.client.invoke(request as never)) as R;
    } catch (error) {
      throw toDomainError(error);
    }
  }

  async sendCode(phone: string): Promise<SentCode> {
    // Not client.sendCode: it drops type/nextType/timeout. PHONE_MIGRATE is handled inside invoke.
    const result = await this.call<Api.auth.TypeSentCode>(
      new Api.auth.SendCode({
        phoneNumber: phone,
        apiId: this.apiId,
        apiHash: this.apiHash,
        settings: new Api.CodeSettings({}),
      }),
    );
    return sentCodeOf(result);
  }

  async resendCode(phone: string, phoneCodeHash: string): Promise<SentCode> {
    return sentCodeOf(
      await this.call<Api.auth.TypeSentCode>(new Api.auth.ResendCode({ phoneNumber: phone, phoneCodeHash })),
    );
  }

  async signIn(phone: string, phoneCodeHash: string, code: string): Promise<TelegramUser> {
    return authorizedUser(
      await this.call<Api.auth.TypeAuthorization>(
        new Api.auth.SignIn({ phoneNumber: phone, phoneCodeHash, phoneCode: code }),
      ),
    );
  }

  async checkPassword(password: string): Promise<TelegramUser> {
    const settings = await this.call<Api.account.Password>(new Api.account.GetPassword());
    let check: Api.InputCheckPasswordSRP;
    try {
      check = await computeCheck(settings, password);
    } catch (error) {
      throw new TelegramError('Unavailable', { cause: error });
    }
    return authorizedUser(await this.call<Api.auth.TypeAuthorization>(new Api.auth.CheckPassword({ password: check })));
  }

  async passwordHint(): Promise<string | undefined> {
    const settings = await this.call<Api.account.Password>(new Api.account.GetPassword());
    return settings.hint;
  }

  async exportLoginToken(): Promise<LoginTokenResult> {
    return loginTokenOf(
      await this.call<Api.auth.TypeLoginToken>(
        new Api.auth.ExportLoginToken({ apiId: this.apiId, apiHash: this.apiHash, exceptIds: [] }),
      ),
    );
  }

  async importLoginToken(dcId: number, token: Buffer): Promise<LoginTokenResult> {
    try {
      await this.client._switchDC(dcId);
    } catch (error) {
      throw toDomainError(error);
    }
    return loginTokenOf(await this.call<Api.auth.TypeLoginToken>(new Api.auth.ImportLoginToken({ token })));
  }

  onLoginTokenUpdate(listener: () => void): void {
    this.client.addEventHandler((update: unknown) => {
      if (update instanceof Api.UpdateLoginToken) listener();
    });
  }

  async logOut(): Promise<void> {
    await this.call<Api.auth.TypeLoggedOut>(new Api.auth.LogOut());
  }

  async getSelf(): Promise<TelegramUser> {
    const users = await this.call<Api.TypeUser[]>(new Api.users.GetUsers({ id: [new Api.InputUserSelf()] }));
    return userOf(users[0]);
  }

  private get publishing(): PublishingClient {
    return {
      invoke: (request) => this.call(request),
      uploadFile: async (params) => {
        try {
          return await this.client.uploadFile(params);
        } catch (error) {
          throw toDomainError(error);
        }
      },
    };
  }

  chats(): Promise<TelegramChat[]> {
    return readChats(this.publishing);
  }

  chat(peer: TelegramPeer): Promise<TelegramChat> {
    return readChat(this.publishing, peer);
  }

  publish(peer: TelegramPeer, post: OutgoingPost): Promise<{ messageId: number }> {
    return sendPost(this.publishing, peer, post);
  }

  async health(): Promise<boolean> {
    try {
      await this.getSelf();
      return true;
    } catch (error) {
      const domain = toDomainError(error);
      if (domain.kind === 'SessionRevoked' || domain.kind === 'KeyDuplicated') throw domain;
      return false;
    }
  }

  session(): string {
    return (this.client.session as StringSession).save();
  }

  async destroy(): Promise<void> {
    // destroy, not disconnect: disconnect leaves the ping loop to reconnect.
    await this.client.destroy();
  }
}

/** The `telegram` (GramJS) adapter. Swapping to `teleproto` means changing the imports of this file only. */
export class GramJsPort implements TelegramPort {
  private readonly options: GramJsPortOptions;

  constructor(options: GramJsPortOptions) {
    this.options = options;
  }

  get apiId(): number {
    return this.options.apiId;
  }

  async open(session: string | undefined): Promise<TelegramConnection> {
    const create = this.options.createClient ?? createGramClient;
    const client = create(new StringSession(session ?? ''), this.options.apiId, this.options.apiHash);
    let connected: unknown;
    try {
      connected = await client.connect();
    } catch (error) {
      await client.destroy().catch(() => undefined);
      throw toDomainError(error);
    }
    if (connected === false) {
      // GramJS 2.26 answers false (instead of throwing) when no data centre answered; every later invoke
      // would wait forever (gram-js/gramjs#566, #792). Not awaited: destroying a half-open client can hang too.
      void client.destroy().catch(() => undefined);
      throw new TelegramError('Unreachable');
    }
    return new GramJsConnection(client, this.options.apiId, this.options.apiHash);
  }
}
