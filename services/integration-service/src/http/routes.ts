import { operation, type Operation } from '@cf/kit';
import { LogQuery, StatsQuery, type accountHandlers } from './account-handlers.ts';
import { BotBody, BotRenameBody, type botHandlers } from './bot-handlers.ts';
import { CodeBody, PasswordBody, PhoneBody, type loginHandlers } from './login-handlers.ts';
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
      responses: {
        201: '{loginId, state, codeType, nextCodeType, timeout}',
        400: 'invalid phone number',
        401: 'no valid access token',
        403: 'phone number banned by Telegram',
        429: 'flood wait (Retry-After)',
      },
      handler: logins.startPhone,
    }),
    operation({
      method: 'post',
      path: '/telegram/logins/qr',
      summary: 'Start a QR login: {loginId, url, expiresAt} and the QR code as SVG and PNG',
      tags: ['logins'],
      auth: 'user',
      responses: { 201: 'the login with its QR code', 401: 'no valid access token', 429: 'flood wait' },
      handler: logins.startQr,
    }),
    operation({
      method: 'get',
      path: '/telegram/logins/:id',
      summary: 'State of a login: waiting, code_sent, password_required, connected, failed (with reason), expired',
      tags: ['logins'],
      auth: 'user',
      responses: { 200: 'the login', 401: 'no valid access token', 404: 'no such login of the caller' },
      handler: logins.get,
    }),
    operation({
      method: 'post',
      path: '/telegram/logins/:id/resend',
      summary: 'Send the code again, by the next type Telegram offers (e.g. SMS)',
      tags: ['logins'],
      auth: 'user',
      responses: {
        200: 'the login',
        404: 'no such login of the caller',
        409: 'not waiting for a code',
        429: 'flood wait',
      },
      handler: logins.resend,
    }),
    operation({
      method: 'post',
      path: '/telegram/logins/:id/code',
      summary: 'Submit the code: connected, or password_required',
      tags: ['logins'],
      auth: 'user',
      body: CodeBody,
      responses: {
        200: 'the login (connected or password_required)',
        400: 'invalid or expired code',
        404: 'no such login of the caller',
        409: 'not waiting for a code',
        429: 'flood wait',
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
      responses: {
        200: 'the login (connected)',
        400: 'wrong password',
        404: 'no such login of the caller',
        409: 'no password required',
        429: 'flood wait',
      },
      handler: logins.password,
    }),
    operation({
      method: 'get',
      path: '/telegram/accounts',
      summary: 'The caller’s Telegram accounts',
      tags: ['accounts'],
      auth: 'user',
      responses: { 200: '{accounts}', 401: 'no valid access token' },
      handler: accounts.list,
    }),
    operation({
      method: 'get',
      path: '/telegram/accounts/:id',
      summary: 'One of the caller’s Telegram accounts',
      tags: ['accounts'],
      auth: 'user',
      responses: { 200: 'the account', 401: 'no valid access token', 404: 'no such account of the caller' },
      handler: accounts.get,
    }),
    operation({
      method: 'delete',
      path: '/telegram/accounts/:id',
      summary: 'Disconnect: log the session out at Telegram, destroy the client, delete the stored session',
      tags: ['accounts'],
      auth: 'user',
      responses: { 204: 'disconnected', 401: 'no valid access token', 404: 'no such account of the caller' },
      handler: accounts.delete,
    }),
    operation({
      method: 'get',
      path: '/telegram/logs',
      summary: 'The caller’s integration log, newest first, paged',
      tags: ['logs'],
      auth: 'user',
      query: LogQuery,
      responses: { 200: '{entries, page, pageSize, total}', 401: 'no valid access token' },
      handler: accounts.logs,
    }),
    operation({
      method: 'get',
      path: '/telegram/stats/errors',
      summary: 'The caller’s error counts by kind over a window',
      tags: ['logs'],
      auth: 'user',
      query: StatsQuery,
      responses: { 200: '{windowHours, errors: {kind: count}}', 401: 'no valid access token' },
      handler: accounts.errorStats,
    }),
    operation({
      method: 'post',
      path: '/telegram/bots',
      summary: 'Add a bot by its token (checked with Bot API getMe; stored only encrypted)',
      tags: ['bots'],
      auth: 'user',
      body: BotBody,
      responses: {
        201: '{id, telegramBotId, username, name}',
        400: 'not a valid bot token',
        401: 'no valid access token',
        409: 'bot cap reached',
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
      responses: { 200: '{bots}', 401: 'no valid access token' },
      handler: bots.list,
    }),
    operation({
      method: 'patch',
      path: '/telegram/bots/:id',
      summary: 'Rename one of the caller’s bots',
      tags: ['bots'],
      auth: 'user',
      body: BotRenameBody,
      responses: { 200: 'the bot', 401: 'no valid access token', 404: 'no such bot of the caller' },
      handler: bots.rename,
    }),
    operation({
      method: 'delete',
      path: '/telegram/bots/:id',
      summary: 'Remove one of the caller’s bots and delete its token',
      tags: ['bots'],
      auth: 'user',
      responses: { 204: 'removed', 401: 'no valid access token', 404: 'no such bot of the caller' },
      handler: bots.remove,
    }),
    ...publishingRoutes(deps.publishing),
  ];
}
