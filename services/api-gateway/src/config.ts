import { env, loadConfig } from '@cf/kit/config';
import { z } from 'zod';

const list = env.list();

export const gatewayEnv = {
  PORT: env.port(8080),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: env.logLevel(),
  /**
   * Address ranges of the TLS entry (Envoy) in front of the gateway, comma-separated CIDRs: only a peer in
   * them is believed about the client address, and only for the X-Forwarded-For hop it appended. Default: none.
   */
  TRUSTED_PROXIES: env.list(),
  /** Serves the OpenAPI docs page at /api/docs. */
  DEBUG: env.flag(false),

  USER_SERVICE_URL: z.url().default('http://127.0.0.1:8081'),
  INTEGRATION_SERVICE_URL: z.url().default('http://127.0.0.1:8082'),
  /** Default: `${USER_SERVICE_URL}/.well-known/jwks.json`. */
  JWKS_URL: z.url().optional(),
  /** user-service's session-revocation feed. Default: `${USER_SERVICE_URL}/internal/session-revocations`. */
  REVOCATIONS_URL: z.url().optional(),
  JWT_ISSUER: z.string().default('https://content-factory.local/auth'),
  JWT_AUDIENCE: z.string().default('content-factory'),

  /** The origin browsers load the UI from; cookie-authenticated writes from anywhere else are refused. */
  PUBLIC_ORIGIN: z.url().default('http://localhost:8080'),
  /** Extra origins allowed by CORS and CSRF checks, comma-separated. Default: none. */
  CORS_ORIGINS: list,

  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  RATE_LIMIT_PER_IP: z.coerce.number().int().min(1).default(600),
  RATE_LIMIT_PER_USER: z.coerce.number().int().min(1).default(300),
  RATE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(60),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(64 * 1024),

  /** Directory of the built web UI to serve at /. Unset: no UI (in Kubernetes the web container serves it). */
  WEB_ROOT: z.string().optional(),
};

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

export function loadGatewayConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(gatewayEnv, source);
}
