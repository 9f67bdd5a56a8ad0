import type { Context } from 'koa';
import { createdAnswer, HttpProblem, okAnswer, operationGroup, type Operation } from '@cf/kit';
import { z } from 'zod';
import type { LoginRow, Store } from '../db/store.ts';
import type { Logins } from '../logins/logins.ts';
import { resourceName } from '../resources.ts';
import { idParam, userOf } from './caller.ts';
import { LIMIT, MOVING, TELEGRAM } from './documented-errors.ts';
import type { ownerRouting } from './owner.ts';
import { Login } from './responses.ts';
import { loginView, normalizePhone } from './views.ts';

// The shapes `normalizePhone` and `code` accept, in the document too (Schemathesis ST202: schema-valid input was
// refused): E.164 with optional separators; 4–8 digits with optional spaces or dashes.
const PhoneBody = z.object({
  phone: z
    .string()
    .max(32)
    .regex(/^[\s().-]*\+?[\s().-]*[1-9](?:[\s().-]*\d){6,14}[\s().-]*$/, 'international format, e.g. +4915112345678'),
});
const CodeBody = z.object({
  code: z
    .string()
    .max(16)
    .regex(/^(?:[\s-]*\d){4,8}[\s-]*$/, '4 to 8 digits'),
});
const PasswordBody = z.object({ password: z.string().min(1).max(256) });

/** The routes of `/telegram/logins*`: phone and QR logins and their steps, each run on the pod that holds the login. */
export function loginRoutes(deps: {
  store: Store;
  logins: Logins;
  onOwner: ReturnType<typeof ownerRouting>;
}): Operation[] {
  const { store, logins, onOwner } = deps;

  const ownedLogin = async (ctx: Context): Promise<LoginRow> => {
    const row = await store.logins.of(userOf(ctx), idParam(ctx, 'login'));
    if (row === undefined) throw HttpProblem.notFound('no such login');
    return row;
  };

  /** A step of a pending login of the caller, run on the pod that holds it. */
  const step = async (ctx: Context, action: (userId: string, loginId: string) => Promise<LoginRow>) => {
    const row = await ownedLogin(ctx);
    if (row.state === 'connected' || row.state === 'failed' || row.state === 'expired') {
      throw HttpProblem.conflict(`the login is ${row.state}`);
    }
    await onOwner(ctx, resourceName('login', row.id), async () => {
      ctx.body = await loginView(await action(row.user_id, row.id));
    });
  };

  const group = operationGroup({ auth: 'user', tags: ['logins'], notFound: 'no such login of the caller' });
  return [
    group.post('/telegram/logins/phone', 'Start a phone login: Telegram sends a code (app or SMS)', {
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
      async handler(ctx, { body }) {
        const phone = normalizePhone(body.phone);
        if (phone === undefined) {
          throw HttpProblem.badRequest('the phone number is not valid', [
            { field: 'phone', message: 'international format, e.g. +4915112345678' },
          ]);
        }
        const row = await logins.phone.start(userOf(ctx), phone);
        ctx.status = 201;
        ctx.body = await loginView(row);
      },
    }),
    group.post('/telegram/logins/qr', 'Start a QR login: {loginId, url, expiresAt} and the QR code as SVG and PNG', {
      ...createdAnswer(
        'the login with its QR code',
        Login,
        { getLogin: 'getTelegramLoginsById', cancelLogin: 'deleteTelegramLoginsById' },
        'loginId',
      ),
      errors: { ...TELEGRAM, 409: LIMIT },
      async handler(ctx) {
        const row = await logins.qr.start(userOf(ctx));
        ctx.status = 201;
        ctx.body = await loginView(row);
      },
    }),
    group.get(
      '/telegram/logins/:id',
      'State of a login: waiting, code_sent, password_required, connected, failed (with reason), expired',
      {
        ...okAnswer('the login', Login),
        async handler(ctx) {
          ctx.body = await loginView(await ownedLogin(ctx));
        },
      },
    ),
    group.delete(
      '/telegram/logins/:id',
      'Cancel a pending login: it fails as Cancelled, and its Telegram client and pending slot are freed',
      {
        ...okAnswer('the cancelled login', Login),
        errors: { 409: 'the login is no longer pending', 503: MOVING },
        handler: (ctx) => step(ctx, (userId, loginId) => logins.cancel(userId, loginId)),
      },
    ),
    group.post('/telegram/logins/:id/resend', 'Send the code again, by the next type Telegram offers (e.g. SMS)', {
      ...okAnswer('the login', Login),
      errors: { ...TELEGRAM, 409: 'not waiting for a code, or no further method' },
      handler: (ctx) => step(ctx, (userId, loginId) => logins.phone.resend(userId, loginId)),
    }),
    group.post('/telegram/logins/:id/code', 'Submit the code: connected, or password_required', {
      body: CodeBody,
      ...okAnswer('the login (connected or password_required)', Login),
      errors: {
        ...TELEGRAM,
        400: 'invalid code',
        409: `not waiting for a code, or ${LIMIT}`,
        410: 'the code expired',
      },
      async handler(ctx, { body }) {
        const code = body.code.replace(/[\s-]/g, '');
        if (!/^\d{4,8}$/.test(code)) {
          throw HttpProblem.badRequest('the code is not valid', [{ field: 'code', message: '4 to 8 digits' }]);
        }
        await step(ctx, (userId, loginId) => logins.phone.submitCode(userId, loginId, code));
      },
    }),
    group.post('/telegram/logins/:id/password', 'Submit the two-step verification password', {
      body: PasswordBody,
      ...okAnswer('the login (connected)', Login),
      errors: { ...TELEGRAM, 400: 'wrong password', 409: `no password required, or ${LIMIT}` },
      handler: (ctx, { body }) => step(ctx, (userId, loginId) => logins.submitPassword(userId, loginId, body.password)),
    }),
  ];
}
