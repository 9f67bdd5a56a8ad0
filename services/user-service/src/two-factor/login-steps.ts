import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { HttpProblem } from '@cf/kit';
import type { LoginStepRow, TwoFactorStore } from '../db/two-factor.ts';

const PROBLEM_BASE = 'https://content-factory.local/problems/login-step/';

export type StepRefusal = 'invalid' | 'expired' | 'used';

const REFUSALS: Record<StepRefusal, string> = {
  invalid: 'this login step is not valid; log in again',
  expired: 'this login step expired; log in again',
  used: 'this login step was already completed; log in again',
};

/** A refused step token: 401 with `…/problems/login-step/<reason>` (log in again with the password). */
export function stepProblem(reason: StepRefusal): HttpProblem {
  return new HttpProblem(401, { detail: REFUSALS[reason], type: `${PROBLEM_BASE}${reason}` });
}

function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/**
 * The "second factor required" step of a login: an opaque `<id>.<secret>` token bound to the user, stored only as
 * a digest, expiring after `ttlSeconds` and completed once. It proves the password was right, nothing more.
 */
export class LoginSteps {
  private readonly store: TwoFactorStore;
  private readonly ttlSeconds: number;

  constructor(store: TwoFactorStore, ttlSeconds: number) {
    this.store = store;
    this.ttlSeconds = ttlSeconds;
  }

  get ttl(): number {
    return this.ttlSeconds;
  }

  async issue(userId: string): Promise<string> {
    const secret = randomBytes(32).toString('base64url');
    const id = await this.store.createStep(userId, digest(secret), this.ttlSeconds);
    return `${id}.${secret}`;
  }

  /** The live step a token names; throws the step problem (401) otherwise. Does not use it up. */
  async open(token: string): Promise<LoginStepRow> {
    const match = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (match === null) throw stepProblem('invalid');
    const row = await this.store.step(match[1]!);
    if (row === undefined) throw stepProblem('invalid');
    const presented = Buffer.from(digest(match[2]!));
    const stored = Buffer.from(row.token_hash);
    if (presented.length !== stored.length || !timingSafeEqual(presented, stored)) throw stepProblem('invalid');
    if (row.used_at !== null) throw stepProblem('used');
    if (row.expires_at.getTime() <= Date.now()) throw stepProblem('expired');
    return row;
  }

  /** Completes the step (once, across replicas); throws `used` when another request completed it first. */
  async complete(row: LoginStepRow): Promise<void> {
    if (!(await this.store.useStep(row.id))) throw stepProblem('used');
  }
}
