import { env, loadConfig } from '@cf/kit/config';
import { z } from 'zod';

const list = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== ''),
  );

export const gatewayEnv = {
  PORT: env.port(8080),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: env.logLevel(),
  /** Behind the TLS entry (Envoy), which appends the client address to X-Forwarded-For. */
  TRUST_PROXY: env.flag(false),
  /** Serves the OpenAPI docs page at /api/docs. */
  DEBUG: env.flag(false),

  USER_SERVICE_URL: z.url().default('http://127.0.0.1:8081'),
  INTEGRATION_SERVICE_URL: z.url().default('http://127.0.0.1:8082'),
  /** Default: `${USER_SERVICE_URL}/.well-known/jwks.json`. */
  JWKS_URL: z.url().optional(),
  JWT_ISSUER: z.string().default('https://content-factory.local/auth'),
  JWT_AUDIENCE: z.string().default('content-factory'),

  /** The origin browsers load the UI from; cookie-authenticated writes from anywhere else are refused. */
  PUBLIC_ORIGIN: z.url().default('http://localhost:8080'),
  /** Extra origins allowed by CORS and CSRF checks, comma-separated. Default: none. */
  CORS_ORIGINS: list,

  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** How long a confirmed-live session is trusted before asking user-service again. */
  SESSION_CHECK_CACHE_MS: z.coerce.number().int().min(0).default(2000),
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
