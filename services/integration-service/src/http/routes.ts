import { idLinks, operation, type Operation } from '@cf/kit';
import { LogQuery, StatsQuery, type accountHandlers } from './account-handlers.ts';
import { BotBody, BotRenameBody, type botHandlers } from './bot-handlers.ts';
import { CodeBody, PasswordBody, PhoneBody, type loginHandlers } from './login-handlers.ts';
import { Account, AccountList, Bot, BotList, ErrorStats, LogPage, Login } from './responses.ts';

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

/** The caps of `limits.ts` that answer 409. */
const LIMIT = 'the connected-accounts cap was reached';
import { publishingRoutes } from './publishing-routes.ts';

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
  return [
    operation({
      method: 'post',
      path: '/telegram/logins/phone',
      summary: 'Start a phone login: Telegram sends a code (app or SMS)',
      tags: ['logins'],
      auth: 'user',
      body: PhoneBody,
      success: { status: 201, description: 'the login, waiting for the code', schema: Login },
      links: idLinks('$response.body#/loginId', {
        getLogin: 'getTelegramLoginsById',
        cancelLogin: 'deleteTelegramLoginsById',
        resendCode: 'postTelegramLoginsByIdResend',
        submitCode: 'postTelegramLoginsByIdCode',
        submitPassword: 'postTelegramLoginsByIdPassword',
      }),
      errors: { ...TELEGRAM, 400: 'invalid phone number', 403: 'phone number banned by Telegram', 409: LIMIT },
      handler: logins.startPhone,
    }),
    operation({
      method: 'post',
      path: '/telegram/logins/qr',
      summary: 'Start a QR login: {loginId, url, expiresAt} and the QR code as SVG and PNG',
      tags: ['logins'],
      auth: 'user',
      success: { status: 201, description: 'the login with its QR code', schema: Login },
      links: idLinks('$response.body#/loginId', {
        getLogin: 'getTelegramLoginsById',
        cancelLogin: 'deleteTelegramLoginsById',
      }),
      errors: { ...TELEGRAM, 409: LIMIT },
      handler: logins.startQr,
    }),
    operation({
      method: 'get',
      path: '/telegram/logins/:id',
      summary: 'State of a login: waiting, code_sent, password_required, connected, failed (with reason), expired',
      tags: ['logins'],
      auth: 'user',
      success: { status: 200, description: 'the login', schema: Login },
      errors: { 404: 'no such login of the caller' },
      handler: logins.get,
    }),
    operation({
      method: 'delete',
      path: '/telegram/logins/:id',
      summary: 'Cancel a pending login: it fails as Cancelled, and its Telegram client and pending slot are freed',
      tags: ['logins'],
      auth: 'user',
      success: { status: 200, description: 'the cancelled login', schema: Login },
      errors: { 404: 'no such login of the caller', 409: 'the login is no longer pending', 503: MOVING },
      handler: logins.cancel,
    }),
    operation({
      method: 'post',
      path: '/telegram/logins/:id/resend',
      summary: 'Send the code again, by the next type Telegram offers (e.g. SMS)',
      tags: ['logins'],
      auth: 'user',
      success: { status: 200, description: 'the login', schema: Login },
      errors: { ...TELEGRAM, 404: 'no such login of the caller', 409: 'not waiting for a code, or no further method' },
      handler: logins.resend,
    }),
    operation({
      method: 'post',
      path: '/telegram/logins/:id/code',
      summary: 'Submit the code: connected, or password_required',
      tags: ['logins'],
      auth: 'user',
      body: CodeBody,
      success: { status: 200, description: 'the login (connected or password_required)', schema: Login },
      errors: {
        ...TELEGRAM,
        400: 'invalid code',
        404: 'no such login of the caller',
        409: 'not waiting for a code, or the account cap was reached',
        410: 'the code expired',
      },
      handler: logins.code,
    }),
    operation({
      method: 'post',
      path: '/telegram/logins/:id/password',
      summary: 'Submit the two-step verification password',
      tags: ['logins'],
      auth: 'user',
      body: PasswordBody,
      success: { status: 200, description: 'the login (connected)', schema: Login },
      errors: {
        ...TELEGRAM,
        400: 'wrong password',
        404: 'no such login of the caller',
        409: 'no password required, or the account cap was reached',
      },
      handler: logins.password,
    }),
    operation({
      method: 'get',
      path: '/telegram/accounts',
      summary: 'The caller’s Telegram accounts',
      tags: ['accounts'],
      auth: 'user',
      success: { status: 200, description: 'the accounts', schema: AccountList },
      links: idLinks('$response.body#/accounts/0/id', { firstAccount: 'getTelegramAccountsById' }),
      handler: accounts.list,
    }),
    operation({
      method: 'get',
      path: '/telegram/accounts/:id',
      summary: 'One of the caller’s Telegram accounts',
      tags: ['accounts'],
      auth: 'user',
      success: { status: 200, description: 'the account', schema: Account },
      errors: { 404: 'no such account of the caller', 503: MOVING },
      handler: accounts.get,
    }),
    operation({
      method: 'delete',
      path: '/telegram/accounts/:id',
      summary: 'Disconnect: log the session out at Telegram, destroy the client, delete the stored session',
      tags: ['accounts'],
      auth: 'user',
      success: { status: 204, description: 'disconnected' },
      errors: { ...TELEGRAM, 404: 'no such account of the caller' },
      handler: accounts.delete,
    }),
    operation({
      method: 'get',
      path: '/telegram/logs',
      summary: 'The caller’s integration log, newest first, paged',
      tags: ['logs'],
      auth: 'user',
      query: LogQuery,
      success: { status: 200, description: 'a page of log entries', schema: LogPage },
      handler: accounts.logs,
    }),
    operation({
      method: 'get',
      path: '/telegram/stats/errors',
      summary: 'The caller’s error counts by kind over a window',
      tags: ['logs'],
      auth: 'user',
      query: StatsQuery,
      success: { status: 200, description: 'error counts by kind', schema: ErrorStats },
      handler: accounts.errorStats,
    }),
    operation({
      method: 'post',
      path: '/telegram/bots',
      summary: 'Add a bot by its token (checked with Bot API getMe; stored only encrypted)',
      tags: ['bots'],
      auth: 'user',
      body: BotBody,
      success: { status: 201, description: 'the bot', schema: Bot },
      links: idLinks('$response.body#/id', { renameBot: 'patchTelegramBotsById', removeBot: 'deleteTelegramBotsById' }),
      errors: {
        400: 'not a valid bot token',
        409: 'bot cap reached, or the bot is already added',
        502: 'the Bot API answered with an error',
        503: 'Bot API unreachable (Retry-After)',
        504: 'Bot API did not answer in time (Retry-After)',
      },
      handler: bots.add,
    }),
    operation({
      method: 'get',
      path: '/telegram/bots',
      summary: 'The caller’s bots',
      tags: ['bots'],
      auth: 'user',
      success: { status: 200, description: 'the bots', schema: BotList },
      links: idLinks('$response.body#/bots/0/id', { renameFirstBot: 'patchTelegramBotsById' }),
      handler: bots.list,
    }),
    operation({
      method: 'patch',
      path: '/telegram/bots/:id',
      summary: 'Rename one of the caller’s bots',
      tags: ['bots'],
      auth: 'user',
      body: BotRenameBody,
      success: { status: 200, description: 'the bot', schema: Bot },
      errors: { 404: 'no such bot of the caller' },
      handler: bots.rename,
    }),
    operation({
      method: 'delete',
      path: '/telegram/bots/:id',
      summary: 'Remove one of the caller’s bots and delete its token',
      tags: ['bots'],
      auth: 'user',
      success: { status: 204, description: 'removed' },
      errors: { 404: 'no such bot of the caller' },
      handler: bots.remove,
    }),
    ...publishingRoutes(deps.publishing),
  ];
}
