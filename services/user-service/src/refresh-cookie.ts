import type { Context } from 'koa';
import { REFRESH_COOKIE } from '@cf/kit';
import type { IssuedTokens } from './sessions.ts';

export interface RefreshCookieSettings {
  /** Narrow path the browser sends the cookie to, e.g. `/api/auth`. */
  path: string;
  secure: boolean;
  maxAgeDays: number;
}

/**
 * The refresh token's cookie: HttpOnly, SameSite=Strict, on a narrow path. TLS ends at the entry in front
 * of us, so the request we see is plain HTTP; the cookie must still be Secure. Telling the cookie jar the
 * connection is secure is the `cookies` package's documented way.
 */
export class RefreshCookie {
  private readonly settings: RefreshCookieSettings;

  constructor(settings: RefreshCookieSettings) {
    this.settings = settings;
  }

  private write(ctx: Context, value: string, maxAge: number): void {
    if (this.settings.secure) (ctx.cookies as unknown as { secure: boolean }).secure = true;
    ctx.cookies.set(REFRESH_COOKIE, value, {
      httpOnly: true,
      secure: this.settings.secure,
      sameSite: 'strict',
      path: this.settings.path,
      maxAge,
    });
  }

  read(ctx: Context): string | undefined {
    const value = ctx.cookies.get(REFRESH_COOKIE);
    return value === '' ? undefined : value;
  }

  set(ctx: Context, token: string): void {
    this.write(ctx, token, this.settings.maxAgeDays * 86_400_000);
  }

  clear(ctx: Context): void {
    this.write(ctx, '', 0);
  }

  /** The OAuth-style token answer; the refresh token always rides in the cookie, in the body only on request. */
  tokenResponse(ctx: Context, issued: IssuedTokens, inBody: boolean): Record<string, unknown> {
    this.set(ctx, issued.refreshToken);
    ctx.set('Cache-Control', 'no-store');
    return {
      access_token: issued.accessToken,
      token_type: 'Bearer',
      expires_in: issued.expiresIn,
      ...(inBody ? { refresh_token: issued.refreshToken } : {}),
    };
  }
}
