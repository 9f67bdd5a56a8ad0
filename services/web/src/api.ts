/** A problem answered by the API (RFC 9457), or a network failure shaped like one. */
export class ApiError extends Error {
  readonly status: number;
  readonly fieldErrors: { field: string; message: string }[];
  readonly retryAfter: number | undefined;

  constructor(
    status: number,
    message: string,
    fieldErrors: { field: string; message: string }[] = [],
    retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.fieldErrors = fieldErrors;
    this.retryAfter = retryAfter;
  }
}

export interface User {
  id: string;
  email: string;
  displayName: string | null;
  role: 'user' | 'admin';
}

interface TokenAnswer {
  access_token: string;
  expires_in: number;
}

type AuthListener = (user: User | undefined) => void;

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

  private async raw(method: string, path: string, body?: unknown, token?: string): Promise<Response> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    try {
      return await fetch(`/api${path}`, {
        method,
        headers,
        credentials: 'same-origin',
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch {
      throw new ApiError(0, 'The server cannot be reached. Check your connection and try again.');
    }
  }

  private static async fail(response: Response): Promise<never> {
    let detail = `The server answered ${response.status}.`;
    let fields: { field: string; message: string }[] = [];
    try {
      const problem = (await response.json()) as {
        detail?: string;
        title?: string;
        errors?: { field: string; message: string }[];
      };
      detail = problem.detail ?? problem.title ?? detail;
      fields = problem.errors ?? [];
    } catch {
      // not a problem document
    }
    const retryAfter = Number(response.headers.get('retry-after') ?? Number.NaN);
    throw new ApiError(response.status, detail, fields, Number.isFinite(retryAfter) ? retryAfter : undefined);
  }

  /** Calls the API as the logged-in user, refreshing the access token once when it has expired. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response = await this.raw(method, path, body, this.accessToken);
    if (response.status === 401 && (await this.refresh()))
      response = await this.raw(method, path, body, this.accessToken);
    if (response.status === 401) this.clear();
    if (!response.ok) return Session.fail(response);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }

  /** Exchanges the refresh cookie for a new access token; false when there is no live session. */
  refresh(): Promise<boolean> {
    this.refreshing ??= (async () => {
      try {
        const response = await this.raw('POST', '/auth/refresh');
        if (!response.ok) return false;
        this.accessToken = ((await response.json()) as TokenAnswer).access_token;
        return true;
      } catch {
        return false;
      } finally {
        setTimeout(() => (this.refreshing = undefined), 0);
      }
    })();
    return this.refreshing;
  }

  private async loadUser(): Promise<void> {
    this.user = await this.call<User>('GET', '/users/me');
    this.emit();
  }

  /** On page load: a refresh cookie from an earlier visit logs the user in without a form. */
  async restore(): Promise<boolean> {
    if (!(await this.refresh())) {
      this.clear();
      return false;
    }
    await this.loadUser();
    return true;
  }

  async login(email: string, password: string): Promise<void> {
    const response = await this.raw('POST', '/auth/login', { email, password });
    if (!response.ok) await Session.fail(response);
    this.accessToken = ((await response.json()) as TokenAnswer).access_token;
    await this.loadUser();
    this.channel?.postMessage({ type: 'login' });
  }

  async register(email: string, password: string, displayName: string | undefined): Promise<void> {
    const response = await this.raw('POST', '/auth/register', {
      email,
      password,
      ...(displayName ? { displayName } : {}),
    });
    if (!response.ok) await Session.fail(response);
    const answer = (await response.json()) as { user: User; session: TokenAnswer };
    this.accessToken = answer.session.access_token;
    this.user = answer.user;
    this.emit();
    this.channel?.postMessage({ type: 'login' });
  }

  async logout(): Promise<void> {
    try {
      await this.raw('POST', '/auth/logout', undefined, this.accessToken);
    } finally {
      this.clear();
      this.channel?.postMessage({ type: 'logout' });
    }
  }
}

export const session = new Session();
