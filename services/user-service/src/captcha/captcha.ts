import { createChallenge, randomInt, verifySolution, type Challenge, type Solution } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';
import { QueryTypes, type Sequelize } from 'sequelize';
import { HttpProblem } from '@cf/kit';
import { boundedKey, PostgresCounter } from '../limiter-store.ts';
import type { SigningKeys } from '../tokens/signing-keys.ts';

export interface CaptchaSettings {
  /** PBKDF2-SHA-256 iterations per attempt (ALTCHA's `cost`). */
  cost: number;
  /** The counter the client must find is drawn from [counterMax / 2, counterMax]: its expected work in attempts. */
  counterMax: number;
  /** How long a challenge may be solved and used, seconds. */
  ttlSeconds: number;
  /** Challenges one address may fetch per 10 minutes before each further one costs twice as much (up to 16×). */
  freePerWindow: number;
}

export type CaptchaRefusal = 'missing' | 'malformed' | 'forged' | 'expired' | 'replayed';

const PROBLEM_BASE = 'https://content-factory.local/problems/captcha/';
const REFUSALS: Record<CaptchaRefusal, string> = {
  missing: 'solve the captcha first',
  malformed: 'the captcha answer is not readable',
  forged: 'the captcha answer is wrong',
  expired: 'the captcha expired; solve a new one',
  replayed: 'this captcha answer was already used; solve a new one',
};

/** A refused captcha: 400 with its reason as the problem type (`…/problems/captcha/replayed`). */
export function captchaProblem(reason: CaptchaRefusal): HttpProblem {
  return new HttpProblem(400, { detail: REFUSALS[reason], type: `${PROBLEM_BASE}${reason}` });
}

interface Payload {
  challenge: Challenge;
  solution: Solution;
}

function parsePayload(encoded: string): Payload | undefined {
  try {
    const value = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as Partial<Payload>;
    const parameters = value.challenge?.parameters;
    if (
      typeof parameters?.nonce !== 'string' ||
      typeof parameters.salt !== 'string' ||
      typeof value.challenge?.signature !== 'string' ||
      typeof value.solution?.counter !== 'number' ||
      typeof value.solution.derivedKey !== 'string'
    ) {
      return undefined;
    }
    return value as Payload;
  } catch {
    return undefined;
  }
}

/**
 * A self-hosted proof-of-work captcha (ALTCHA v2, PBKDF2-SHA-256, deterministic mode): no third party, no cookie, no
 * external script. Challenges are signed with HMAC keys derived from the Vault-held signing keys (the signing key's
 * `kid` rides in the signed `data`), so every replica verifies what any replica issued; verifying is two HMACs,
 * while solving costs the client about `counterMax × 3/4` key derivations. Each answer is accepted once, across
 * replicas (`captcha_answers` in PostgreSQL), and an address that keeps fetching challenges gets dearer ones.
 */
export class Captcha {
  private readonly sequelize: Sequelize;
  private readonly keys: SigningKeys;
  private readonly settings: CaptchaSettings;
  private readonly fetches: PostgresCounter;

  constructor(sequelize: Sequelize, keys: SigningKeys, settings: CaptchaSettings) {
    this.sequelize = sequelize;
    this.keys = keys;
    this.settings = settings;
    // Counted, never refused here: the count only raises the price.
    this.fetches = new PostgresCounter(sequelize, 'captcha-fetch', 600);
  }

  private secrets(kid?: string): { kid: string; signature: string; key: string } | undefined {
    const signature = this.keys.derivedKey('captcha signature', kid);
    const key = this.keys.derivedKey('captcha key signature', kid);
    if (signature === undefined || key === undefined) return undefined;
    return { kid: signature.kid, signature: signature.key.toString('hex'), key: key.key.toString('hex') };
  }

  /** A fresh challenge for a client at `ip`; dearer (2× per `freePerWindow` fetches, up to 16×) for busy addresses. */
  async challenge(ip: string): Promise<Challenge> {
    const fetched = await this.fetches.add(boundedKey(ip)).catch(() => 0);
    const over = Math.max(0, fetched - this.settings.freePerWindow);
    const factor = 2 ** Math.min(4, Math.ceil(over / Math.max(1, this.settings.freePerWindow)));
    const max = this.settings.counterMax * factor;
    const secrets = this.secrets();
    if (secrets === undefined) throw HttpProblem.unavailable('no signing key loaded', 5);
    return createChallenge({
      algorithm: 'PBKDF2/SHA-256',
      cost: this.settings.cost,
      counter: randomInt(Math.floor(max / 2), max),
      deriveKey,
      data: { kid: secrets.kid },
      expiresAt: Math.floor(Date.now() / 1000) + this.settings.ttlSeconds,
      hmacSignatureSecret: secrets.signature,
      hmacKeySignatureSecret: secrets.key,
    });
  }

  /** Accepts a solved challenge once; throws the captcha problem (400) for anything else. */
  async verify(encoded: string | undefined): Promise<void> {
    if (encoded === undefined || encoded === '') throw captchaProblem('missing');
    const payload = parsePayload(encoded);
    if (payload === undefined) throw captchaProblem('malformed');
    const kid = payload.challenge.parameters.data?.['kid'];
    const secrets = typeof kid === 'string' ? this.secrets(kid) : undefined;
    if (secrets === undefined) throw captchaProblem('forged');
    const result = await verifySolution({
      challenge: payload.challenge,
      solution: payload.solution,
      deriveKey,
      hmacSignatureSecret: secrets.signature,
      hmacKeySignatureSecret: secrets.key,
    }).catch(() => undefined);
    if (result === undefined) throw captchaProblem('malformed');
    if (result.expired) throw captchaProblem('expired');
    if (!result.verified) throw captchaProblem('forged');
    // The signature covers the nonce, so one signed challenge is one row: a second use, from any replica, is refused.
    const expires = payload.challenge.parameters.expiresAt ?? Math.floor(Date.now() / 1000) + this.settings.ttlSeconds;
    const inserted = await this.sequelize.query<{ id: string }>(
      `INSERT INTO captcha_answers (id, expires_at) VALUES ($1, to_timestamp($2))
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      { bind: [payload.challenge.signature, expires], type: QueryTypes.SELECT },
    );
    if (inserted.length === 0) throw captchaProblem('replayed');
  }
}
