// The web UI's ALTCHA widget, headless: the answer `POST …/auth/register` and `…/auth/password-reset` expect
// (issue 18), for suites and benchmarks that register through a real captcha.
import { solveChallenge, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';

export type { Challenge };

/** Solves `challenge` and base64-encodes `{ challenge, solution }` as the widget does (`from`: where it came from). */
export async function solveCaptcha(challenge: Challenge, from = 'the challenge'): Promise<string> {
  const solution = await solveChallenge({ challenge, deriveKey });
  if (solution === null) throw new Error(`the challenge from ${from} has no solution`);
  return Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
}
