import { api, settle, useBearer } from './client.ts';
import { ApiProblem, asProblem } from './problem.ts';
import { text } from './read.ts';

export interface User {
  id: string;
  email: string;
  displayName: string | null;
  role: string;
  /** Whether the address is verified (issue 18); the shell shows a banner with "send again" until it is. */
  emailVerified: boolean;
}

/** A login waiting for its second factor (issue 18): the step token and what can complete it. */
export interface SecondFactorStep {
  stepToken: string;
  /** Seconds. */
  expiresIn: number;
  methods: ('totp' | 'recovery-code' | 'passkey')[];
}

type AuthListener = (user: User | undefined) => void;

/** Further tries of a refresh that met a transient failure; with the backoff below, about 7 s in all. */
const RETRIES = 3;
/** Longest wait between tries (ms), also when `Retry-After` asks for more: the page stays responsive. */
const MAX_WAIT_MS = 5000;

/** A failure worth another try: no answer (network), rate limited, or the server side failing (5xx). */
function transient(problem: ApiProblem): boolean {
  return problem.status === 0 || problem.status === 429 || problem.status >= 500;
}

/** 500 ms doubling per try, or the server's `Retry-After` when it named one; capped at `MAX_WAIT_MS`. */
function backoffMs(attempt: number, retryAfterSeconds: number | undefined): number {
  const wanted = retryAfterSeconds !== undefined ? retryAfterSeconds * 1000 : 500 * 2 ** attempt;
  return Math.min(MAX_WAIT_MS, wanted);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What a page-load restore found: a session, none, or a server that could not be asked (with why). */
export type Restored = { state: 'signed-in' } | { state: 'signed-out' } | { state: 'unreachable'; problem: ApiProblem };

function userFrom(body: unknown): User {
  const id = text(body, 'id');
  const email = text(body, 'email');
  if (id === undefined || email === undefined) throw new ApiProblem(502, { detail: 'user without id or email' });
  const verified = typeof body === 'object' && body !== null && (body as Record<string, unknown>)['emailVerified'];
  return {
    id,
    email,
    displayName: text(body, 'displayName') ?? null,
    role: text(body, 'role') ?? 'user',
    emailVerified: verified !== false,
  };
}

/**
 * The browser's session: the access token lives only in memory, the refresh token only in its HttpOnly
 * cookie. A 401 triggers one silent refresh; logout is announced to every open tab on a
 * BroadcastChannel so they all drop their state without a reload.
 */
export class Session {
  private accessToken: string | undefined;
  private refreshing: Promise<boolean> | undefined;
  private readonly listeners = new Set<AuthListener>();
  private readonly channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('cf-auth') : undefined;
  user: User | undefined;

  constructor() {
    useBearer(() => this.accessToken);
    this.channel?.addEventListener('message', (event: MessageEvent<{ type: string }>) => {
      if (event.data.type === 'logout') this.clear();
      if (event.data.type === 'login') void this.restore();
    });
  }

  onChange(listener: AuthListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    for (const listener of this.listeners) listener(this.user);
  }

  private clear(): void {
    this.accessToken = undefined;
    this.user = undefined;
    this.emit();
  }

  /**
   * Runs an API call as the logged-in user, refreshing the access token once when it has expired.
   * Throws ApiProblem for any failure.
   */
  async call<T>(run: () => Promise<{ data?: T; error?: unknown; response: Response }>) {
    try {
      return (await settle(run)).body;
    } catch (error) {
      if (!(error instanceof ApiProblem) || error.status !== 401) throw error;
      if (!(await this.refresh())) {
        this.clear();
        throw error;
      }
      return (await settle(run)).body;
    }
  }

  /**
   * Exchanges the refresh cookie for a new access token. Resolves true with a token, false when the server
   * says there is no live session (401, or 400 for a request it refused); throws the last ApiProblem when
   * the server could not be reached or answered 429/5xx after `RETRIES` more tries, so a transient failure
   * is never mistaken for being logged out.
   */
  refresh(): Promise<boolean> {
    this.refreshing ??= (async () => {
      try {
        for (let attempt = 0; ; attempt += 1) {
          try {
            const { body } = await settle(() => api.POST('/api/auth/refresh', { body: {} }));
            this.accessToken = body.access_token;
            return true;
          } catch (error) {
            const problem = asProblem(error);
            if (problem.status === 401 || problem.status === 400) return false;
            if (!transient(problem) || attempt >= RETRIES) throw problem;
            await sleep(backoffMs(attempt, problem.retryAfter));
          }
        }
      } finally {
        setTimeout(() => (this.refreshing = undefined), 0);
      }
    })();
    return this.refreshing;
  }

  private async loadUser(): Promise<void> {
    this.user = userFrom(await this.call(() => api.GET('/api/users/me')));
    this.emit();
  }

  /** True while an access token is held (the user's details may still be loading). */
  get signedIn(): boolean {
    return this.accessToken !== undefined;
  }

  /**
   * On page load: a refresh cookie from an earlier visit logs the user in without a form. Resolves once
   * the token is there, so pages start their own requests at once; the user's details follow (emitted).
   * `unreachable` leaves any session alone: the caller shows an error with Retry, not the login form.
   */
  async restore(): Promise<Restored> {
    let live: boolean;
    try {
      live = await this.refresh();
    } catch (error) {
      return { state: 'unreachable', problem: asProblem(error) };
    }
    if (!live) {
      this.clear();
      return { state: 'signed-out' };
    }
    this.emit();
    void this.loadUser().catch(() => {
      // a 401 has cleared the session already; anything else leaves the name blank until the next load
    });
    return { state: 'signed-in' };
  }

  /**
   * Logs in with the password. Resolves with the "second factor required" step when the account has two-factor
   * authentication (no session yet: views/two-factor completes it and calls `signIn`), else undefined, signed in.
   */
  async login(email: string, password: string, captcha?: string): Promise<SecondFactorStep | undefined> {
    const { body } = await settle(() =>
      api.POST('/api/auth/login', { body: { email, password, ...(captcha !== undefined ? { captcha } : {}) } }),
    );
    if ('second_factor_required' in body) {
      return { stepToken: body.step_token, expiresIn: body.expires_in, methods: body.methods };
    }
    await this.signIn(body.access_token);
  }

  /** Adopts the access token of a completed login: password, password + second factor, or a passkey. */
  async signIn(accessToken: string | undefined): Promise<void> {
    this.accessToken = accessToken;
    await this.loadUser();
    this.channel?.postMessage({ type: 'login' });
  }

  async register(email: string, password: string, displayName: string | undefined, captcha?: string): Promise<void> {
    const { body } = await settle(() =>
      api.POST('/api/auth/register', {
        body: {
          email,
          password,
          ...(displayName ? { displayName } : {}),
          ...(captcha !== undefined ? { captcha } : {}),
        },
      }),
    );
    this.accessToken = text((body as Record<string, unknown> | undefined)?.['session'], 'access_token');
    this.user = userFrom((body as Record<string, unknown> | undefined)?.['user']);
    this.emit();
    this.channel?.postMessage({ type: 'login' });
  }

  /**
   * After the address was verified or changed: a fresh access token (its `email_verified` claim follows the
   * account) and the account's details again, so the banner and the refused actions update without a reload.
   */
  async reload(): Promise<void> {
    if (!this.signedIn) return;
    if (await this.refresh()) await this.loadUser();
  }

  /** Forgets the session locally after the server ended it (sign out everywhere, a reset). */
  ended(): void {
    this.clear();
    this.channel?.postMessage({ type: 'logout' });
  }

  async logout(): Promise<void> {
    try {
      await settle(() => api.POST('/api/auth/logout', { body: {} }));
    } catch {
      // the local session ends regardless; the server's expires on its own
    } finally {
      this.clear();
      this.channel?.postMessage({ type: 'logout' });
    }
  }
}

export const session = new Session();
