import { createdAnswer, listAnswer, noContentAnswer, okAnswer, operationGroup, type Operation } from '@cf/kit';
import { LogQuery, StatsQuery, type accountHandlers } from './account-handlers.ts';
import { BotBody, BotRenameBody, type botHandlers } from './bot-handlers.ts';
import { CodeBody, PasswordBody, PhoneBody, type loginHandlers } from './login-handlers.ts';
import { Account, AccountList, Bot, BotList, ErrorStats, LogPage, Login } from './responses.ts';
import { publishingRoutes } from './publishing-routes.ts';

/** A stored-state move between pods: the caller retries (Retry-After). */
const MOVING = 'the login or account is moving between pods, or another pod holds it and is unreachable';

/**
 * What any Telegram step can answer (`telegram/errors.ts` KINDS and `telegram/deadline.ts`): a flood wait,
 * Telegram failing, unreachable or too slow — each with Retry-After where a wait is known.
 */
const TELEGRAM = {
  429: 'flood wait, or a login limit (Retry-After)',
  502: 'Telegram answered with an error',
  503: `Telegram is unreachable, or ${MOVING} (Retry-After)`,
  504: 'Telegram did not answer in time (Retry-After)',
} as const;

/** What a call to the Bot API can answer (`bots/bot-api.ts`), as TELEGRAM is for MTProto. */
const BOT_API = {
  502: 'the Bot API answered with an error',
  503: 'Bot API unreachable (Retry-After)',
  504: 'Bot API did not answer in time (Retry-After)',
} as const;

/** The caps of `limits.ts` that answer 409. */
const LIMIT = 'the connected-accounts cap was reached';

/**
 * Every route of the service, declared in this one list: path, inputs, documented answers, auth and the
 * handler. The same objects mount the routes and write the OpenAPI document.
 */
export function routes(deps: {
  logins: ReturnType<typeof loginHandlers>;
  accounts: ReturnType<typeof accountHandlers>;
  bots: ReturnType<typeof botHandlers>;
  publishing: Parameters<typeof publishingRoutes>[0];
}): Operation[] {
  const { logins, accounts, bots } = deps;
  const loginRoutes = operationGroup({ auth: 'user', tags: ['logins'], notFound: 'no such login of the caller' });
  const accountRoutes = operationGroup({ auth: 'user', tags: ['accounts'], notFound: 'no such account of the caller' });
  const logRoutes = operationGroup({ auth: 'user', tags: ['logs'] });
  const botRoutes = operationGroup({ auth: 'user', tags: ['bots'], notFound: 'no such bot of the caller' });
  return [
    loginRoutes.post('/telegram/logins/phone', 'Start a phone login: Telegram sends a code (app or SMS)', {
      body: PhoneBody,
      ...createdAnswer(
        'the login, waiting for the code',
        Login,
        {
          getLogin: 'getTelegramLoginsById',
          cancelLogin: 'deleteTelegramLoginsById',
          resendCode: 'postTelegramLoginsByIdResend',
          submitCode: 'postTelegramLoginsByIdCode',
          submitPassword: 'postTelegramLoginsByIdPassword',
        },
        'loginId',
      ),
      errors: { ...TELEGRAM, 400: 'invalid phone number', 403: 'phone number banned by Telegram', 409: LIMIT },
      handler: logins.startPhone,
    }),
    loginRoutes.post(
      '/telegram/logins/qr',
      'Start a QR login: {loginId, url, expiresAt} and the QR code as SVG and PNG',
      {
        ...createdAnswer(
          'the login with its QR code',
          Login,
          { getLogin: 'getTelegramLoginsById', cancelLogin: 'deleteTelegramLoginsById' },
          'loginId',
        ),
        errors: { ...TELEGRAM, 409: LIMIT },
        handler: logins.startQr,
      },
    ),
    loginRoutes.get(
      '/telegram/logins/:id',
      'State of a login: waiting, code_sent, password_required, connected, failed (with reason), expired',
      {
        ...okAnswer('the login', Login),
        handler: logins.get,
      },
    ),
    loginRoutes.delete(
      '/telegram/logins/:id',
      'Cancel a pending login: it fails as Cancelled, and its Telegram client and pending slot are freed',
      {
        ...okAnswer('the cancelled login', Login),
        errors: { 409: 'the login is no longer pending', 503: MOVING },
        handler: logins.cancel,
      },
    ),
    loginRoutes.post(
      '/telegram/logins/:id/resend',
      'Send the code again, by the next type Telegram offers (e.g. SMS)',
      {
        ...okAnswer('the login', Login),
        errors: { ...TELEGRAM, 409: 'not waiting for a code, or no further method' },
        handler: logins.resend,
      },
    ),
    loginRoutes.post('/telegram/logins/:id/code', 'Submit the code: connected, or password_required', {
      body: CodeBody,
      ...okAnswer('the login (connected or password_required)', Login),
      errors: {
        ...TELEGRAM,
        400: 'invalid code',
        409: `not waiting for a code, or ${LIMIT}`,
        410: 'the code expired',
      },
      handler: logins.code,
    }),
    loginRoutes.post('/telegram/logins/:id/password', 'Submit the two-step verification password', {
      body: PasswordBody,
      ...okAnswer('the login (connected)', Login),
      errors: { ...TELEGRAM, 400: 'wrong password', 409: `no password required, or ${LIMIT}` },
      handler: logins.password,
    }),
    accountRoutes.get('/telegram/accounts', 'The caller’s Telegram accounts', {
      ...listAnswer('accounts', 'the accounts', AccountList, { firstAccount: 'getTelegramAccountsById' }),
      handler: accounts.list,
    }),
    accountRoutes.get('/telegram/accounts/:id', 'One of the caller’s Telegram accounts', {
      ...okAnswer('the account', Account),
      errors: { 503: MOVING },
      handler: accounts.get,
    }),
    accountRoutes.delete(
      '/telegram/accounts/:id',
      'Disconnect: log the session out at Telegram, destroy the client, delete the stored session',
      {
        ...noContentAnswer('disconnected'),
        errors: TELEGRAM,
        handler: accounts.delete,
      },
    ),
    logRoutes.get('/telegram/logs', 'The caller’s integration log, newest first, paged', {
      query: LogQuery,
      ...okAnswer('a page of log entries', LogPage),
      handler: accounts.logs,
    }),
    logRoutes.get('/telegram/stats/errors', 'The caller’s error counts by kind over a window', {
      query: StatsQuery,
      ...okAnswer('error counts by kind', ErrorStats),
      handler: accounts.errorStats,
    }),
    botRoutes.get('/telegram/bots', 'The caller’s bots', {
      ...listAnswer('bots', 'the bots', BotList, { renameFirstBot: 'patchTelegramBotsById' }),
      handler: bots.list,
    }),
    botRoutes.post('/telegram/bots', 'Add a bot by its token (checked with Bot API getMe; stored only encrypted)', {
      body: BotBody,
      ...createdAnswer('the bot', Bot, { renameBot: 'patchTelegramBotsById', removeBot: 'deleteTelegramBotsById' }),
      errors: { ...BOT_API, 400: 'not a valid bot token', 409: 'bot cap reached, or the bot is already added' },
      handler: bots.add,
    }),
    botRoutes.patch('/telegram/bots/:id', 'Rename one of the caller’s bots', {
      body: BotRenameBody,
      ...okAnswer('the bot', Bot),
      handler: bots.rename,
    }),
    botRoutes.delete('/telegram/bots/:id', 'Remove one of the caller’s bots and delete its token', {
      ...noContentAnswer('removed'),
      handler: bots.remove,
    }),
    ...publishingRoutes(deps.publishing),
  ];
}
