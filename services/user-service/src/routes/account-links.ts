import type { Context } from 'koa';
import { z } from 'zod';
import { HttpProblem, noContentAnswer, okAnswer, operation, verifiedClaims, type Operation } from '@cf/kit';
import { audit, type AuditEvent } from '../audit.ts';
import type { ActionTokens, LinkRefusal } from '../db/action-tokens.ts';
import type { MailOutbox, OutboxJob } from '../mail/outbox.ts';
import { normalizeEmail } from '../db/store.ts';
import { hashPassword, verifyPassword } from '../passwords.ts';
import { CaptchaAnswer, Email, NewPassword } from '../schemas.ts';
import { callerUser } from './caller.ts';
import { publicUser, type RouteDeps } from './deps.ts';
import { PublicUser } from './responses.ts';

const Queued = z.object({ queued: z.literal(true) });

type AuditFields = Parameters<typeof audit>[3];
const UNAVAILABLE = 'rate limiting is unavailable';

/** A link's secret as the web page reads it from the URL fragment: `<uuid>.<43 base64url characters>`. */
const LinkSecret = z.string().min(1).max(200);

export interface AccountLinkDeps extends RouteDeps {
  tokens: ActionTokens;
  mail: MailOutbox;
  /** How long a verification link works (issue 18: 24 h). */
  verifyHours: number;
}

const REFUSALS: Record<LinkRefusal, string> = {
  invalid: 'this link is not valid',
  expired: 'this link has expired; ask for a new one',
  used: 'this link has already been used',
};

const PROBLEM_BASE = 'https://content-factory.local/problems/account-links/';

/** A refused link: 400, with the reason as the problem type so the UI words it (`…/account-links/expired`). */
function refused(reason: LinkRefusal): HttpProblem {
  return new HttpProblem(400, { detail: REFUSALS[reason], type: `${PROBLEM_BASE}${reason}` });
}

/**
 * Email verification and password reset (issue 18): sending a verification link again, following it, asking for a
 * reset link and completing the reset. Every mail is queued (see `MailOutbox`), so these answer in the same time
 * whether the SMTP server is up or not.
 */
export function accountLinkRoutes(
  base: RouteDeps,
  links: Pick<AccountLinkDeps, 'tokens' | 'mail' | 'verifyHours'> | undefined,
): Operation[] {
  // A server that sends no mail offers no links: the routes are absent (404), not failing (503).
  if (links === undefined) return [];
  const deps: AccountLinkDeps = { ...base, ...links };
  const { store, limits, logger } = base;
  /** Puts a mail in the outbox, audits `event`, and answers 202 `Queued`: the mail goes out from the worker. */
  const queueMail = async (ctx: Context, job: OutboxJob, event: AuditEvent, fields: AuditFields): Promise<void> => {
    await deps.mail.enqueue(job);
    audit(ctx, logger, event, fields);
    ctx.status = 202;
    ctx.body = { queued: true };
  };
  return [
    operation({
      method: 'post',
      path: '/auth/email-verification',
      summary: 'Send the verification link again',
      auth: 'user',
      tags: ['auth'],
      success: { status: 202, description: 'queued', schema: Queued },
      errors: { 409: 'already verified', 429: 'too many mails', 503: UNAVAILABLE },
      async handler(ctx) {
        const userId = verifiedClaims(ctx).sub;
        const user = await callerUser(store, ctx);
        if (user.email_verified_at !== null) throw HttpProblem.conflict('this address is already verified');
        await limits.verificationMail(userId);
        const { tokens, verifyHours } = deps;
        const tokenId = await tokens.issue(userId, 'verify-email', user.email, verifyHours * 3600);
        await queueMail(ctx, { kind: 'verify-email', to: user.email, tokenId }, 'email.verification-sent', { userId });
      },
    }),
    operation({
      method: 'post',
      path: '/auth/email-verification/confirm',
      summary: 'Follow a verification link',
      auth: 'none',
      tags: ['auth'],
      body: z.object({ token: LinkSecret }),
      success: { status: 200, description: 'the verified user', schema: z.object({ user: PublicUser }) },
      errors: { 400: 'invalid, expired or used link', 503: UNAVAILABLE },
      async handler(ctx, { body }) {
        const row = await deps.tokens.consume(body.token, 'verify-email');
        if (typeof row === 'string') throw refused(row);
        // Only the address the link was sent to: after a change of address, an old link verifies nothing.
        const user = await store.markEmailVerified(row.user_id, row.email);
        if (user === undefined) throw refused('invalid');
        audit(ctx, logger, 'email.verified', { userId: user.id });
        ctx.body = { user: publicUser(user) };
      },
    }),
    operation({
      method: 'post',
      path: '/auth/password-reset',
      // Always 202 with the same body, whether or not an account has this address: the lookup happens later,
      // in the mail worker, so neither the answer nor its timing tells.
      summary: 'Ask for a password-reset link (the same answer for any address)',
      auth: 'none',
      tags: ['auth'],
      body: z.object({ email: Email, captcha: CaptchaAnswer.optional() }),
      success: { status: 202, description: 'queued (or nothing to send)', schema: Queued },
      errors: { 400: 'invalid input or captcha', 429: 'too many requests', 503: UNAVAILABLE },
      async handler(ctx, { body }) {
        await limits.resetRequest(body.email, ctx.ip);
        await base.checkCaptcha?.(body.captcha);
        await queueMail(ctx, { kind: 'password-reset', to: body.email }, 'password.reset-requested', {});
      },
    }),
    operation({
      method: 'post',
      path: '/auth/password-reset/confirm',
      summary: 'Choose a new password with a reset link; ends every session',
      auth: 'none',
      tags: ['auth'],
      body: z.object({ token: LinkSecret, password: NewPassword }),
      ...noContentAnswer('password changed, every session ended'),
      errors: { 400: 'invalid, expired or used link', 503: UNAVAILABLE },
      async handler(ctx, { body }) {
        const { tokens, mail } = deps;
        const hash = await hashPassword(body.password);
        const row = await tokens.consume(body.token, 'password-reset');
        if (typeof row === 'string') throw refused(row);
        const user = await store.userById(row.user_id);
        if (user === undefined || user.disabled) throw refused('invalid');
        await store.setPasswordHash(user.id, hash);
        await store.revokeAllSessions(user.id, 'password-reset');
        // Following the link proves the address too.
        await store.markEmailVerified(user.id, row.email);
        await mail.enqueue({ kind: 'password-reset-done', to: user.email });
        audit(ctx, logger, 'password.reset', { userId: user.id });
        ctx.status = 204;
      },
    }),
    operation({
      method: 'post',
      path: '/users/me/email',
      // Lives with the links: a change of address is only offered by a server that can mail the new one.
      summary: 'Change the address (needs the current password); the new one is unverified until its link is followed',
      auth: 'user',
      tags: ['users'],
      body: z.object({ newEmail: Email, currentPassword: z.string().max(1024) }),
      ...okAnswer('the account with its new, unverified address', PublicUser),
      errors: {
        400: 'invalid input, wrong current password, or the address the account already has',
        409: 'another account has this address',
        429: 'too many mails',
        503: UNAVAILABLE,
      },
      async handler(ctx, { body }) {
        const userId = verifiedClaims(ctx).sub;
        const user = await callerUser(store, ctx);
        if (!(await verifyPassword(user.password_hash, body.currentPassword))) {
          throw HttpProblem.badRequest('current password is incorrect', [
            { field: 'currentPassword', message: 'incorrect' },
          ]);
        }
        if (normalizeEmail(body.newEmail) === normalizeEmail(user.email)) {
          throw HttpProblem.badRequest('this is already the account’s address', [
            { field: 'newEmail', message: 'same as the current address' },
          ]);
        }
        await limits.verificationMail(userId);
        const changed = await store.changeEmail(userId, body.newEmail);
        if (changed === undefined) throw HttpProblem.conflict('another account uses this address');
        const { tokens, mail, verifyHours } = deps;
        const tokenId = await tokens.issue(userId, 'verify-email', changed.email, verifyHours * 3600);
        await mail.enqueue({ kind: 'verify-email', to: changed.email, tokenId });
        // The old address hears of it, so a stolen session cannot move the account away silently.
        await mail.enqueue({ kind: 'email-changed', to: user.email, newAddress: changed.email });
        audit(ctx, logger, 'email.changed', { userId });
        ctx.body = publicUser(changed);
      },
    }),
  ];
}
