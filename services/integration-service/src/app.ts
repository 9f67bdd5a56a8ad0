import type { Context, Middleware } from 'koa';
import QRCode from 'qrcode';
import { z } from 'zod';
import {
  createApp,
  HttpProblem,
  mountOperations,
  openApiDocument,
  operation,
  verifiedClaims,
  type Logger,
  type Operation,
  type ServiceApp,
} from '@cf/kit';
import type { AccountRow, LoginRow, Store } from './db/store.ts';
import { normalizePhone, type TelegramManager } from './manager.ts';

export const FORWARDED_HEADER = 'x-cf-forwarded-by';

export interface IntegrationAppDeps {
  logger: Logger;
  store: Store;
  manager: TelegramManager;
  authenticate: Middleware;
  /** `http://{pod}.integration-service-headless.cf-apps.svc:8080` */
  peerAddressTemplate: string;
  readiness?: Record<string, () => Promise<boolean>>;
  forwardTimeoutMs?: number;
}

const PhoneBody = z.object({ phone: z.string().min(1).max(32) });
const CodeBody = z.object({ code: z.string().min(1).max(16) });
const PasswordBody = z.object({ password: z.string().min(1).max(256) });
const LogQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});
const StatsQuery = z.object({
  windowHours: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(24),
});
const Uuid = z.uuid();

async function loginView(row: LoginRow): Promise<Record<string, unknown>> {
  const waiting = row.state === 'waiting' && row.qr_url !== null;
  return {
    loginId: row.id,
    method: row.method,
    state: row.state,
    ...(row.method === 'phone'
      ? { codeType: row.code_type, nextCodeType: row.next_code_type, timeout: row.code_timeout }
      : {}),
    ...(waiting
      ? {
          url: row.qr_url,
          expiresAt: row.qr_expires_at,
          qrSvg: await QRCode.toString(row.qr_url!, { type: 'svg', margin: 1 }),
          qrPng: await QRCode.toDataURL(row.qr_url!, { margin: 1 }),
        }
      : {}),
    ...(row.state === 'password_required' ? { passwordHint: row.password_hint } : {}),
    ...(row.state === 'failed' ? { reason: row.failure } : {}),
    ...(row.account_id !== null ? { accountId: row.account_id } : {}),
    createdAt: row.created_at,
  };
}

function accountView(row: AccountRow, connectedHere: boolean | undefined): Record<string, unknown> {
  return {
    id: row.id,
    telegramUserId: row.telegram_user_id,
    phone: row.phone,
    username: row.username,
    displayName: row.display_name,
    state: row.state,
    ...(row.failure !== null ? { reason: row.failure } : {}),
    ...(connectedHere !== undefined ? { connectedHere } : {}),
    createdAt: row.created_at,
  };
}

export function createIntegrationApp(deps: IntegrationAppDeps): ServiceApp & { operations: Operation[] } {
  const { store, manager } = deps;
  const service = createApp({
    name: 'integration-service',
    logger: deps.logger,
    ...(deps.readiness ? { readiness: deps.readiness } : {}),
  });
  const userOf = (ctx: Context): string => verifiedClaims(ctx).sub;
  const idParam = (ctx: Context, what: string): string => {
    const id = Uuid.safeParse(ctx.params['id']);
    if (!id.success) throw HttpProblem.notFound(`no such ${what}`);
    return id.data;
  };

  /** Proxies the request to the pod that owns the resource; the owner verifies the token again. */
  const forward = async (ctx: Context, pod: string): Promise<void> => {
    if (ctx.get(FORWARDED_HEADER) !== '') {
      throw HttpProblem.unavailable('ownership is moving; try again', 1);
    }
    const url = deps.peerAddressTemplate.replace('{pod}', pod) + ctx.originalUrl;
    let response: Response;
    try {
      response = await fetch(url, {
        method: ctx.method,
        headers: {
          authorization: ctx.get('authorization'),
          'content-type': 'application/json',
          'x-request-id': String(ctx.state['requestId'] ?? ''),
          [FORWARDED_HEADER]: manager.pod,
        },
        ...(ctx.request.body !== undefined ? { body: JSON.stringify(ctx.request.body) } : {}),
        signal: AbortSignal.timeout(deps.forwardTimeoutMs ?? 15_000),
      });
    } catch {
      throw HttpProblem.unavailable('the owning instance does not answer; try again shortly', 2);
    }
    ctx.status = response.status;
    for (const header of ['content-type', 'retry-after', 'www-authenticate']) {
      const value = response.headers.get(header);
      if (value !== null) ctx.set(header, value);
    }
    const text = await response.text();
    if (text !== '') ctx.body = text;
  };

  /** Runs `local` on the owner of `resource`, forwarding when another pod owns it. */
  const onOwner = async (ctx: Context, resource: string, local: () => Promise<void>): Promise<void> => {
    const route = await manager.route(resource);
    if (route.local) return local();
    if ('pod' in route) return forward(ctx, route.pod);
    throw HttpProblem.unavailable('ownership is moving; try again', route.retryAfter);
  };

  const ownedLogin = async (ctx: Context): Promise<LoginRow> => {
    const row = await store.loginOf(userOf(ctx), idParam(ctx, 'login'));
    if (row === undefined) throw HttpProblem.notFound('no such login');
    return row;
  };

  const loginAction = (action: (userId: string, loginId: string, body: Record<string, string>) => Promise<LoginRow>) =>
    async function handler(ctx: Context, input: { body: unknown }): Promise<void> {
      const row = await ownedLogin(ctx);
      if (row.state === 'connected' || row.state === 'failed' || row.state === 'expired') {
        throw HttpProblem.conflict(`the login is ${row.state}`);
      }
      await onOwner(ctx, `login:${row.id}`, async () => {
        ctx.body = await loginView(await action(row.user_id, row.id, (input.body ?? {}) as Record<string, string>));
      });
    };

  const operations: Operation[] = [
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
      async handler(ctx, { body }) {
        const phone = normalizePhone(body.phone);
        if (phone === undefined) {
          throw HttpProblem.badRequest('the phone number is not valid', [
            { field: 'phone', message: 'international format, e.g. +4915112345678' },
          ]);
        }
        const row = await manager.startPhoneLogin(userOf(ctx), phone);
        ctx.status = 201;
        ctx.body = await loginView(row);
      },
    }),
    operation({
      method: 'post',
      path: '/telegram/logins/qr',
      summary: 'Start a QR login: {loginId, url, expiresAt} and the QR code as SVG and PNG',
      tags: ['logins'],
      auth: 'user',
      responses: { 201: 'the login with its QR code', 401: 'no valid access token', 429: 'flood wait' },
      async handler(ctx) {
        const row = await manager.startQrLogin(userOf(ctx));
        ctx.status = 201;
        ctx.body = await loginView(row);
      },
    }),
    operation({
      method: 'get',
      path: '/telegram/logins/:id',
      summary: 'State of a login: waiting, code_sent, password_required, connected, failed (with reason), expired',
      tags: ['logins'],
      auth: 'user',
      responses: { 200: 'the login', 401: 'no valid access token', 404: 'no such login of the caller' },
      async handler(ctx) {
        ctx.body = await loginView(await ownedLogin(ctx));
      },
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
      handler: loginAction((userId, loginId) => manager.resend(userId, loginId)),
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
      async handler(ctx, input) {
        const code = input.body.code.replace(/[\s-]/g, '');
        if (!/^\d{4,8}$/.test(code)) {
          throw HttpProblem.badRequest('the code is not valid', [{ field: 'code', message: '4 to 8 digits' }]);
        }
        await loginAction((userId, loginId) => manager.submitCode(userId, loginId, code))(ctx, input);
      },
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
      handler: loginAction((userId, loginId, body) => manager.submitPassword(userId, loginId, body['password']!)),
    }),
    operation({
      method: 'get',
      path: '/telegram/accounts',
      summary: 'The caller’s Telegram accounts',
      tags: ['accounts'],
      auth: 'user',
      responses: { 200: '{accounts}', 401: 'no valid access token' },
      async handler(ctx) {
        const rows = await store.accountsOf(userOf(ctx));
        ctx.body = { accounts: rows.map((row) => accountView(row, undefined)) };
      },
    }),
    operation({
      method: 'get',
      path: '/telegram/accounts/:id',
      summary: 'One of the caller’s Telegram accounts',
      tags: ['accounts'],
      auth: 'user',
      responses: { 200: 'the account', 401: 'no valid access token', 404: 'no such account of the caller' },
      async handler(ctx) {
        const row = await store.accountOf(userOf(ctx), idParam(ctx, 'account'));
        if (row === undefined) throw HttpProblem.notFound('no such account');
        ctx.body = accountView(row, manager.holds(`account:${row.id}`));
      },
    }),
    operation({
      method: 'delete',
      path: '/telegram/accounts/:id',
      summary: 'Disconnect: log the session out at Telegram, destroy the client, delete the stored session',
      tags: ['accounts'],
      auth: 'user',
      responses: { 204: 'disconnected', 401: 'no valid access token', 404: 'no such account of the caller' },
      async handler(ctx) {
        const row = await store.accountOf(userOf(ctx), idParam(ctx, 'account'));
        if (row === undefined) throw HttpProblem.notFound('no such account');
        if (row.state !== 'connected' && (await store.deleteDeadAccount(row.user_id, row.id))) {
          await store.log({ userId: row.user_id, operation: 'account.delete', outcome: 'ok', accountId: row.id });
          ctx.status = 204;
          return;
        }
        await onOwner(ctx, `account:${row.id}`, async () => {
          await manager.deleteAccount(row.user_id, row.id);
          ctx.status = 204;
        });
      },
    }),
    operation({
      method: 'get',
      path: '/telegram/logs',
      summary: 'The caller’s integration log, newest first, paged',
      tags: ['logs'],
      auth: 'user',
      query: LogQuery,
      responses: { 200: '{entries, page, pageSize, total}', 401: 'no valid access token' },
      async handler(ctx, { query }) {
        const { entries, total } = await store.logPage(userOf(ctx), (query.page - 1) * query.pageSize, query.pageSize);
        ctx.body = { entries, page: query.page, pageSize: query.pageSize, total };
      },
    }),
    operation({
      method: 'get',
      path: '/telegram/stats/errors',
      summary: 'The caller’s error counts by kind over a window',
      tags: ['logs'],
      auth: 'user',
      query: StatsQuery,
      responses: { 200: '{windowHours, errors: {kind: count}}', 401: 'no valid access token' },
      async handler(ctx, { query }) {
        ctx.body = {
          windowHours: query.windowHours,
          errors: await store.errorCounts(userOf(ctx), query.windowHours * 3600),
        };
      },
    }),
  ];

  mountOperations(service.router, operations, { authenticate: deps.authenticate });
  const document = openApiDocument(
    {
      title: 'Content Factory integration-service',
      version: '0.1.0',
      description: 'Telegram logins and accounts',
      serverUrl: '/api',
    },
    operations,
  );
  service.router.get('/openapi.json', (ctx) => {
    ctx.body = document;
  });
  return { ...service, operations };
}
