import test from 'ava';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Api, errors } from 'telegram';
import { readBigIntFromBuffer } from 'telegram/Helpers.js';
import { AuthKey } from 'telegram/crypto/AuthKey.js';
import { LogLevel } from 'telegram/extensions/Logger.js';
import { StringSession } from 'telegram/sessions/index.js';
import {
  createGramClient,
  GramJsPort,
  type GramClient,
} from '../../services/integration-service/src/telegram/gramjs.ts';
import { problemFor } from '../../services/integration-service/src/http/problems.ts';
import { KINDS, RPC_ERRORS } from '../../services/integration-service/src/telegram/errors.ts';
import { TelegramError, type TelegramConnection } from '../../services/integration-service/src/telegram/port.ts';

const API_ID = 12345;
const API_HASH = 'api-hash-of-the-test';

interface Stubbed {
  conn: TelegramConnection;
  client: GramClient;
  requests: Api.AnyRequest[];
  calls: string[];
}

/** A GramJsPort whose clients are real TelegramClients with the methods `stubs` answers for each replaced. */
function portWithStubs(stubs: (client: ReturnType<typeof createGramClient>) => Record<string, unknown>): GramJsPort {
  return new GramJsPort({
    apiId: API_ID,
    apiHash: API_HASH,
    createClient(session, apiId, apiHash) {
      const client = createGramClient(session, apiId, apiHash);
      Object.assign(client, stubs(client));
      return client as unknown as GramClient;
    },
  });
}

/** A real TelegramClient whose network calls are stubbed: `answer` plays Telegram for each request. */
async function stubbed(answer: (request: Api.AnyRequest, client: GramClient) => unknown): Promise<Stubbed> {
  const requests: Api.AnyRequest[] = [];
  const calls: string[] = [];
  let client: GramClient | undefined;
  const port = portWithStubs((real) => {
    client = real as unknown as GramClient;
    return {
      connect: async () => {
        calls.push('connect');
        return true;
      },
      destroy: async () => {
        calls.push('destroy');
      },
      disconnect: async () => {
        calls.push('disconnect');
      },
      _switchDC: async (dcId: number) => {
        calls.push(`switchDC:${dcId}`);
        real.session.setDC(dcId, '149.154.167.91', 443);
        return true;
      },
      invoke: async (request: Api.AnyRequest) => {
        requests.push(request);
        const result = await answer(request, real as unknown as GramClient);
        return result;
      },
    };
  });
  const conn = await port.open(undefined);
  return { conn, client: client!, requests, calls };
}

const rpcError = (message: string, code: number, request: Api.AnyRequest): Error =>
  errors.RPCMessageToError(new Api.RpcError({ errorCode: code, errorMessage: message }), request) as Error;

const bigId = (n: number) => readBigIntFromBuffer(Buffer.from([n]), true, false);

const user = (): Api.User =>
  new Api.User({ id: bigId(77), firstName: 'Ada', lastName: 'Lovelace', username: 'ada', phone: '4915100000001' });

const authorization = (): Api.auth.Authorization => new Api.auth.Authorization({ user: user() });

test('the GramJS client never sleeps through flood waits and logs nothing of its own', (t) => {
  const client = createGramClient(new StringSession(''), API_ID, API_HASH);
  t.is(client.floodSleepThreshold, 0);
  t.is(client.logger.logLevel, LogLevel.NONE);
});

test('sendCode invokes auth.SendCode with the API credentials and reports code type, next type and timeout', async (t) => {
  const { conn, requests } = await stubbed(
    () =>
      new Api.auth.SentCode({
        type: new Api.auth.SentCodeTypeApp({ length: 5 }),
        phoneCodeHash: 'hash-1',
        nextType: new Api.auth.CodeTypeSms(),
        timeout: 60,
      }),
  );
  const sent = await conn.sendCode('+4915100000001');
  t.deepEqual(sent, { phoneCodeHash: 'hash-1', codeType: 'app', nextCodeType: 'sms', timeout: 60 });
  const request = requests[0];
  t.true(request instanceof Api.auth.SendCode);
  const sendCode = request as Api.auth.SendCode;
  t.is(sendCode.phoneNumber, '+4915100000001');
  t.is(sendCode.apiId, API_ID);
  t.is(sendCode.apiHash, API_HASH);
  t.true(sendCode.settings instanceof Api.CodeSettings);
});

test('the session read after SendCode carries the DC that PHONE_MIGRATE switched to inside invoke', async (t) => {
  const key = new AuthKey();
  await key.setKey(Buffer.alloc(256, 3));
  const { conn } = await stubbed((request, client) => {
    // What invoke does on PHONE_MIGRATE_4: switch DC with a new auth key, then repeat the request.
    client.session.setDC(4, '149.154.167.91', 443);
    client.session.setAuthKey(key);
    t.true(request instanceof Api.auth.SendCode);
    return new Api.auth.SentCode({ type: new Api.auth.SentCodeTypeSms({ length: 5 }), phoneCodeHash: 'h' });
  });
  t.is(conn.session(), '');
  await conn.sendCode('+4915100000001');
  const after = new StringSession(conn.session());
  after.load();
  t.is(after.dcId, 4);
});

test('resendCode invokes auth.ResendCode with the phone code hash and reports the SMS type', async (t) => {
  const { conn, requests } = await stubbed(
    () => new Api.auth.SentCode({ type: new Api.auth.SentCodeTypeSms({ length: 5 }), phoneCodeHash: 'hash-2' }),
  );
  const sent = await conn.resendCode('+4915100000001', 'hash-1');
  t.is(sent.codeType, 'sms');
  t.is(sent.nextCodeType, undefined);
  const request = requests[0] as Api.auth.ResendCode;
  t.true(request instanceof Api.auth.ResendCode);
  t.is(request.phoneCodeHash, 'hash-1');
});

test('signIn invokes auth.SignIn and returns the signed-in user', async (t) => {
  const { conn, requests } = await stubbed(() => authorization());
  const signedIn = await conn.signIn('+4915100000001', 'hash-1', '12345');
  t.is(signedIn.id, '77');
  t.is(signedIn.username, 'ada');
  const request = requests[0] as Api.auth.SignIn;
  t.true(request instanceof Api.auth.SignIn);
  t.is(request.phoneCode, '12345');
  t.is(request.phoneCodeHash, 'hash-1');
});

test('signIn of a number without a Telegram account is PhoneUnoccupied', async (t) => {
  const { conn } = await stubbed(() => new Api.auth.AuthorizationSignUpRequired({}));
  const error = await t.throwsAsync(conn.signIn('+4915100000001', 'h', '12345'), { instanceOf: TelegramError });
  t.is(error.kind, 'PhoneUnoccupied');
});

/** Telegram's 2048-bit SRP prime, read from the installed library so the real computeCheck accepts it. */
function telegramPrime(): Buffer {
  const require = createRequire(import.meta.url);
  const source = readFileSync(require.resolve('telegram/Password.js'), 'utf8');
  const block = /const goodPrime = Buffer\.from\(\[([\s\S]*?)\]\)/.exec(source);
  if (!block) throw new Error('prime not found in telegram/Password.js');
  return Buffer.from(
    block[1]!
      .split(',')
      .map((byte) => byte.trim())
      .filter((byte) => byte !== '')
      .map(Number),
  );
}

test('checkPassword computes the SRP check from account.GetPassword and sends auth.CheckPassword', async (t) => {
  const p = telegramPrime();
  const { conn, requests } = await stubbed((request) => {
    if (request instanceof Api.account.GetPassword) {
      return new Api.account.Password({
        hasPassword: true,
        currentAlgo: new Api.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow({
          salt1: Buffer.alloc(8, 1),
          salt2: Buffer.alloc(16, 2),
          g: 3,
          p,
        }),
        srp_B: Buffer.concat([Buffer.from([0x10]), Buffer.alloc(255, 7)]),
        srpId: bigId(9),
        newAlgo: new Api.PasswordKdfAlgoUnknown(),
        newSecureAlgo: new Api.SecurePasswordKdfAlgoUnknown(),
        secureRandom: Buffer.alloc(32),
        hint: 'pet',
      });
    }
    return authorization();
  });
  const signedIn = await conn.checkPassword('correct horse');
  t.is(signedIn.firstName, 'Ada');
  const check = requests[1] as Api.auth.CheckPassword;
  t.true(check instanceof Api.auth.CheckPassword);
  t.true(check.password instanceof Api.InputCheckPasswordSRP);
  t.is((check.password as Api.InputCheckPasswordSRP).srpId.toString(), '9');
});

test('a FloodWaitError becomes FloodWait with its seconds', async (t) => {
  const { conn } = await stubbed((request) => {
    throw new errors.FloodWaitError({ request, capture: 42 });
  });
  const error = await t.throwsAsync(conn.sendCode('+4915100000001'), { instanceOf: TelegramError });
  t.is(error.kind, 'FloodWait');
  t.is(error.seconds, 42);
});

// One test per row of the error table: the real GramJS error class for the message, through the adapter.
for (const row of RPC_ERRORS) {
  const message = row.message.replace(/_X$/, '_42');
  test(`the RPC error ${message} (${row.code}) becomes ${row.kind} and answers ${KINDS[row.kind].status}`, async (t) => {
    const { conn } = await stubbed((request) => {
      throw rpcError(message, row.code, request);
    });
    const error = await t.throwsAsync(conn.signIn('+4915100000001', 'h', '12345'), { instanceOf: TelegramError });
    t.is(error.kind, row.kind);
    if (row.kind === 'FloodWait') t.is(error.seconds, 42);
    t.is(problemFor(error).status, KINDS[row.kind].status);
  });
}

test('an RPC error the table does not list becomes Unavailable (502)', async (t) => {
  const { conn } = await stubbed((request) => {
    throw rpcError('INTERNAL_SERVER_ERROR', 500, request);
  });
  const error = await t.throwsAsync(conn.signIn('+4915100000001', 'h', '12345'), { instanceOf: TelegramError });
  t.is(error.kind, 'Unavailable');
  t.is(problemFor(error).status, 502);
});

test('exportLoginToken invokes auth.ExportLoginToken and returns the token with its expiry', async (t) => {
  const expires = Math.floor(Date.now() / 1000) + 30;
  const { conn, requests } = await stubbed(() => new Api.auth.LoginToken({ expires, token: Buffer.from('qr-token') }));
  const result = await conn.exportLoginToken();
  t.deepEqual(result, { kind: 'token', token: Buffer.from('qr-token'), expiresAt: new Date(expires * 1000) });
  const request = requests[0] as Api.auth.ExportLoginToken;
  t.true(request instanceof Api.auth.ExportLoginToken);
  t.is(request.apiId, API_ID);
  t.is(request.apiHash, API_HASH);
});

test('a LoginTokenMigrateTo answer becomes a migrate result naming the DC', async (t) => {
  const { conn } = await stubbed(() => new Api.auth.LoginTokenMigrateTo({ dcId: 4, token: Buffer.from('t4') }));
  t.deepEqual(await conn.exportLoginToken(), { kind: 'migrate', dcId: 4, token: Buffer.from('t4') });
});

test('importLoginToken switches to the DC before invoking auth.ImportLoginToken', async (t) => {
  const { conn, requests, calls } = await stubbed(
    () => new Api.auth.LoginTokenSuccess({ authorization: authorization() }),
  );
  const result = await conn.importLoginToken(4, Buffer.from('t4'));
  t.is(result.kind, 'success');
  t.true(calls.includes('switchDC:4'));
  const request = requests[0] as Api.auth.ImportLoginToken;
  t.true(request instanceof Api.auth.ImportLoginToken);
  t.deepEqual(Buffer.from(request.token), Buffer.from('t4'));
});

test('UpdateLoginToken updates reach the login listener', async (t) => {
  const { conn, client } = await stubbed(() => undefined);
  let seen = 0;
  conn.onLoginTokenUpdate(() => {
    seen += 1;
  });
  const handlers = (
    client as unknown as { listEventHandlers(): [unknown, (update: unknown) => void][] }
  ).listEventHandlers();
  for (const [, callback] of handlers) {
    callback(new Api.UpdateLoginToken());
    callback(new Api.UpdateConfig());
  }
  t.is(seen, 1);
});

test('logOut invokes auth.LogOut and destroy ends the client with destroy, not disconnect', async (t) => {
  const { conn, requests, calls } = await stubbed(() => new Api.auth.LoggedOut({}));
  await conn.logOut();
  await conn.destroy();
  t.true(requests[0] instanceof Api.auth.LogOut);
  t.true(calls.includes('destroy'));
  t.false(calls.includes('disconnect'));
});

test('getSelf asks users.GetUsers for InputUserSelf', async (t) => {
  const { conn, requests } = await stubbed(() => [user()]);
  const self = await conn.getSelf();
  t.is(self.id, '77');
  const request = requests[0] as Api.users.GetUsers;
  t.true(request instanceof Api.users.GetUsers);
  t.true(request.id[0] instanceof Api.InputUserSelf);
});

test('health is false when Telegram does not answer and throws when the session was revoked', async (t) => {
  let failWith: 'timeout' | 'revoked' = 'timeout';
  const { conn } = await stubbed((request) => {
    throw failWith === 'timeout' ? new Error('timeout') : rpcError('AUTH_KEY_UNREGISTERED', 401, request);
  });
  t.false(await conn.health());
  failWith = 'revoked';
  const error = await t.throwsAsync(conn.health(), { instanceOf: TelegramError });
  t.is(error.kind, 'SessionRevoked');
});

test('open fails with Unreachable when connect() answers false instead of throwing (GramJS 2.26)', async (t) => {
  let destroyed = false;
  const port = portWithStubs(() => ({
    connect: async () => false,
    destroy: async () => {
      destroyed = true;
    },
  }));
  const error = await t.throwsAsync(port.open(undefined), { instanceOf: TelegramError });
  t.is(error.kind, 'Unreachable');
  t.true(destroyed);
});
