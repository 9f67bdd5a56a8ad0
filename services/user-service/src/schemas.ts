import { z } from 'zod';
import { MAX_LENGTH, MIN_LENGTH, passwordProblem } from './passwords.ts';

/** A new password: 8–128 characters, not a common one; no composition rules (NIST 800-63B). */
export const NewPassword = z
  .string()
  .min(MIN_LENGTH)
  .max(MAX_LENGTH * 4) // characters are counted below; this only bounds the work on absurd input
  .superRefine((value, ctx) => {
    if (value.length < MIN_LENGTH) return; // `min` above already said so
    const problem = passwordProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `password ${problem}` });
  })
  // The document states the limit in characters, as the check above counts them (JSON Schema's maxLength
  // counts code points), not the looser bound on UTF-16 units.
  .meta({ description: `${MIN_LENGTH}–${MAX_LENGTH} characters, not a commonly used password`, maxLength: MAX_LENGTH });

/**
 * An address as zod's `email()` accepts it, surrounding spaces trimmed. A pipe documents only its input
 * side, so the pattern that decides is stated for the document too — zod's own, not `format: email`,
 * which validators read differently (Schemathesis found addresses one accepts and the other refuses).
 */
export const Email = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email())
  .meta({ pattern: z.regexes.email.source, maxLength: 254 });
const DisplayName = z.string().trim().min(1).max(80);

/** An ALTCHA payload (base64 JSON of challenge + solution), when the server asks for one. */
export const CaptchaAnswer = z.string().max(8192);
export const RegisterBody = z.object({
  email: Email,
  password: NewPassword,
  displayName: DisplayName.optional(),
  captcha: CaptchaAnswer.optional(),
});

export const LoginBody = z.object({
  email: z.string().max(254),
  password: z.string().max(1024),
  /** Non-browser clients get the refresh token in the body instead of a cookie. */
  includeRefreshToken: z.boolean().optional(),
  /** Required after repeated failures from the client's address (`LOGIN_CAPTCHA_AFTER_FAILURES`). */
  captcha: CaptchaAnswer.optional(),
});

export const RefreshBody = z
  .object({ refresh_token: z.string().max(200).optional(), includeRefreshToken: z.boolean().optional() })
  .optional();

export const LogoutBody = z.object({ refresh_token: z.string().max(200).optional() }).optional();

export const PatchMeBody = z.object({ displayName: DisplayName.nullable() });

export const ChangePasswordBody = z.object({ currentPassword: z.string().max(1024), newPassword: NewPassword });

export const AdminPatchBody = z
  .object({ role: z.enum(['user', 'admin']).optional(), disabled: z.boolean().optional() })
  .refine((body) => body.role !== undefined || body.disabled !== undefined, { message: 'give role or disabled' });

export const Uuid = z.uuid();
