import { solveCaptcha, type Challenge } from '@cf/embedded/captcha-answer';

export { solveCaptcha };

/**
 * A solved ALTCHA answer for `POST …/auth/register` or `…/auth/password-reset` (issue 18), as the web UI's widget
 * sends it: fetches a challenge from `captchaUrl` (user-service's `/auth/captcha`, or the gateway's
 * `/api/auth/captcha`), solves it with altcha-lib and base64-encodes `{ challenge, solution }`. Throws when the
 * challenge cannot be fetched (status named) or solved. Bounded: 15 s for the fetch, the challenge's counter for the
 * search.
 */
export async function solvedCaptcha(captchaUrl: string, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(captchaUrl, { headers, signal: AbortSignal.timeout(15_000) });
  if (response.status !== 200) throw new Error(`GET ${captchaUrl}: ${response.status}`);
  return solveCaptcha((await response.json()) as Challenge, captchaUrl);
}
