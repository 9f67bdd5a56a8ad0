import { z } from 'zod';
import { HttpProblem, okAnswer, operation, type Operation } from '@cf/kit';
import type { Captcha } from '../captcha/captcha.ts';

/** ALTCHA v2's challenge as the widget reads it. */
const ChallengeBody = z.object({
  parameters: z.object({
    algorithm: z.string(),
    nonce: z.string(),
    salt: z.string(),
    cost: z.int(),
    keyLength: z.int(),
    keyPrefix: z.string(),
    keySignature: z.string().optional(),
    expiresAt: z.int().optional(),
    data: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  }),
  signature: z.string().optional(),
});

/**
 * `GET /auth/captcha`: a fresh proof-of-work challenge (issue 18); 404 when the server asks for none (`asked` false:
 * CAPTCHA_REQUIRED off), which the web UI reads as "no widget".
 */
export function captchaRoutes(captcha: Captcha | undefined, asked = true): Operation[] {
  return [
    operation({
      method: 'get',
      path: '/auth/captcha',
      summary: 'A proof-of-work challenge for registration and password reset',
      auth: 'none',
      tags: ['auth'],
      ...okAnswer('an ALTCHA v2 challenge', ChallengeBody),
      errors: { 404: 'this server asks for no captcha', 503: 'no signing key loaded yet' },
      async handler(ctx) {
        if (captcha === undefined || !asked) throw HttpProblem.notFound('this server asks for no captcha');
        ctx.set('Cache-Control', 'no-store');
        ctx.body = await captcha.challenge(ctx.ip);
      },
    }),
  ];
}
