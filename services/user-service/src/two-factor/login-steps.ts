import { randomBytes } from 'node:crypto';
import { HttpProblem } from '@cf/kit';
import type { LoginStepRow, TwoFactorStore } from '../db/two-factor.ts';
import { splitToken, tokenDigest, tokenRefusal, type TokenRefusal } from '../tokens/opaque-token.ts';

const PROBLEM_BASE = 'https://content-factory.local/problems/login-step/';

export type StepRefusal = TokenRefusal;

const REFUSALS: Record<StepRefusal, string> = {
  invalid: 'this login step is not valid; log in again',
  expired: 'this login step expired; log in again',
  used: 'this login step was already completed; log in again',
};

/** A refused step token: 401 with `…/problems/login-step/<reason>` (log in again with the password). */
export function stepProblem(reason: StepRefusal): HttpProblem {
  return new HttpProblem(401, { detail: REFUSALS[reason], type: `${PROBLEM_BASE}${reason}` });
}

/**
 * The "second factor required" step of a login: an opaque `<id>.<secret>` token bound to the user, stored only as
 * a digest, expiring after `ttlSeconds` and completed once. It proves the password was right, nothing more.
 */
export class LoginSteps {
  private readonly deps: { store: TwoFactorStore; ttlSeconds: number };

  constructor(deps: LoginSteps['deps']) {
    this.deps = deps;
  }

  get ttl(): number {
    return this.deps.ttlSeconds;
  }

  async issue(userId: string): Promise<string> {
    const secret = randomBytes(32).toString('base64url');
    const id = await this.deps.store.createStep(userId, tokenDigest(secret), this.deps.ttlSeconds);
    return `${id}.${secret}`;
  }

  /** The live step a token names; throws the step problem (401) otherwise. Does not use it up. */
  async open(token: string): Promise<LoginStepRow> {
    const parts = splitToken(token);
    if (parts === undefined) throw stepProblem('invalid');
    const row = await this.deps.store.step(parts.id);
    if (row === undefined) throw stepProblem('invalid');
    const refusal = tokenRefusal(parts.secret, row);
    if (refusal !== undefined) throw stepProblem(refusal);
    return row;
  }

  /** Completes the step (once, across replicas); throws `used` when another request completed it first. */
  async complete(row: LoginStepRow): Promise<void> {
    if (!(await this.deps.store.useStep(row.id))) throw stepProblem('used');
  }
}
