import type { Context } from 'koa';
import { HttpProblem, verifiedClaims } from '@cf/kit';
import { z } from 'zod';
import type { LoginRow, Store } from '../db/store.ts';
import type { Logins } from '../logins/logins.ts';
import { resourceName } from '../resources.ts';
import type { ownerRouting } from './owner.ts';
import { loginView, normalizePhone } from './views.ts';

// The shapes `normalizePhone` and `code` accept, in the document too (Schemathesis ST202: schema-valid input was
// refused): E.164 with optional separators; 4–8 digits with optional spaces or dashes.
export const PhoneBody = z.object({
  phone: z
    .string()
    .max(32)
    .regex(/^[\s().-]*\+?[\s().-]*[1-9](?:[\s().-]*\d){6,14}[\s().-]*$/, 'international format, e.g. +4915112345678'),
});
export const CodeBody = z.object({
  code: z
    .string()
    .max(16)
    .regex(/^(?:[\s-]*\d){4,8}[\s-]*$/, '4 to 8 digits'),
});
export const PasswordBody = z.object({ password: z.string().min(1).max(256) });

const Uuid = z.uuid();

/** The `:id` path parameter as a UUID; anything else is a 404 naming `what`. */
export function idParam(ctx: Context, what: string): string {
  const id = Uuid.safeParse(ctx.params['id']);
  if (!id.success) throw HttpProblem.notFound(`no such ${what}`);
  return id.data;
}

export const userOf = (ctx: Context): string => verifiedClaims(ctx).sub;

/** The request handlers of `/telegram/logins*`. */
export function loginHandlers(deps: { store: Store; logins: Logins; onOwner: ReturnType<typeof ownerRouting> }) {
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

  return {
    async startPhone(ctx: Context, { body }: { body: z.infer<typeof PhoneBody> }) {
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
    async startQr(ctx: Context) {
      const row = await logins.qr.start(userOf(ctx));
      ctx.status = 201;
      ctx.body = await loginView(row);
    },
    async get(ctx: Context) {
      ctx.body = await loginView(await ownedLogin(ctx));
    },
    resend: (ctx: Context) => step(ctx, (userId, loginId) => logins.phone.resend(userId, loginId)),
    cancel: (ctx: Context) => step(ctx, (userId, loginId) => logins.cancel(userId, loginId)),
    async code(ctx: Context, { body }: { body: z.infer<typeof CodeBody> }) {
      const code = body.code.replace(/[\s-]/g, '');
      if (!/^\d{4,8}$/.test(code)) {
        throw HttpProblem.badRequest('the code is not valid', [{ field: 'code', message: '4 to 8 digits' }]);
      }
      await step(ctx, (userId, loginId) => logins.phone.submitCode(userId, loginId, code));
    },
    password: (ctx: Context, { body }: { body: z.infer<typeof PasswordBody> }) =>
      step(ctx, (userId, loginId) => logins.submitPassword(userId, loginId, body.password)),
  };
}
