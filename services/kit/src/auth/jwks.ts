import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';

export interface JwksOptions {
  /** e.g. `http://user-service:8080/.well-known/jwks.json`. */
  url: string;
  /** Default: 3000 ms. */
  timeoutMs?: number;
  /** An unknown `kid` refetches the set, at most this often. Default: 10 s — a forged kid cannot make us hammer the issuer. */
  minRefreshMs?: number;
  /** Refetch even without unknown kids, to drop retired keys. Default: 5 min. */
  maxAgeMs?: number;
}

/** The issuer's public keys by `kid`, fetched from its JWKS, cached, and refreshed when an unknown `kid` shows up. */
export class JwksKeys implements KeyResolver {
  private readonly options: JwksOptions;
  private keys = new Map<string, KeyObject>();
  private fetchedAt = 0;
  private inFlight: Promise<void> | undefined;

  constructor(options: JwksOptions) {
    this.options = options;
  }

  private async refresh(): Promise<void> {
    this.inFlight ??= (async () => {
      try {
        const response = await fetch(this.options.url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 3000) });
        if (!response.ok) throw new Error(`JWKS answered ${response.status}`);
        const body = (await response.json()) as { keys?: (JsonWebKey & { kid?: string })[] };
        const next = new Map<string, KeyObject>();
        for (const jwk of body.keys ?? []) {
          if (typeof jwk.kid === 'string' && jwk.kty === 'EC')
            next.set(jwk.kid, createPublicKey({ key: jwk, format: 'jwk' }));
        }
        this.keys = next;
      } finally {
        // A failed fetch also counts, so an unreachable issuer is not hammered either.
        this.fetchedAt = Date.now();
      }
    })().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** The key for `kid`, refreshing the set when it is unknown (rate-limited) or old. */
  async key(kid: string): Promise<KeyObject | undefined> {
    const age = Date.now() - this.fetchedAt;
    if (age > (this.options.maxAgeMs ?? 300_000)) await this.refresh().catch(() => undefined);
    const known = this.keys.get(kid);
    if (known !== undefined) return known;
    if (age >= (this.options.minRefreshMs ?? 10_000)) {
      await this.refresh().catch(() => undefined);
      return this.keys.get(kid);
    }
    return undefined;
  }
}

/** Finds the verification key for a token's `kid`: an issuer's JWKS, or the issuer's own key set. */
export interface KeyResolver {
  key(kid: string): Promise<KeyObject | undefined>;
}
