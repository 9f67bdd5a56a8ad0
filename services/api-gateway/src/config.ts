import { accessTokenEnv, env, loadConfig, serverEnv } from '@cf/kit/config';
import { databaseEnv, vaultLoginEnv } from '@cf/kit/connection-env';
import { z } from 'zod';

const list = env.list();

export const gatewayEnv = {
  ...serverEnv(),
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
  ...accessTokenEnv(),

  /** The origin browsers load the UI from; cookie-authenticated writes from anywhere else are refused. */
  PUBLIC_ORIGIN: z.url().default('http://localhost:8080'),
  /** Extra origins allowed by CORS and CSRF checks, comma-separated. Default: none. */
  CORS_ORIGINS: list,

  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  RATE_LIMIT_PER_IP: z.coerce.number().int().min(1).default(600),
  RATE_LIMIT_PER_USER: z.coerce.number().int().min(1).default(300),
  RATE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(60),
  /**
   * Where the limits above are counted. `postgres`: the gateway's own database, shared by every replica, so a
   * limit holds for the whole Deployment (falls back to per-replica memory while PostgreSQL fails, see
   * rate-limit.ts). `memory`: each replica counts alone (one-replica runs and tests only).
   */
  RATE_LIMIT_STORE: z.enum(['postgres', 'memory']).default('postgres'),
  /** Deadline of one count in PostgreSQL; past it the request is counted in this replica's memory. */
  RATE_LIMIT_STORE_TIMEOUT_MS: z.coerce.number().int().min(1).default(250),
  /**
   * Share of each limit one replica admits before PostgreSQL has counted it, so most requests never wait for the
   * store: N replicas admit at most `limit + N × floor(limit × share)` per window (see shared-counts.ts).
   * 0: every request waits for its exact count. Default: 0.02 (600 per address: 12 per replica).
   */
  RATE_LIMIT_LOCAL_SHARE: z.coerce.number().min(0).max(1).default(0.02),
  /**
   * How often a replica writes the counts it admitted to PostgreSQL, in milliseconds. It moves no bound (a replica
   * admits at most its budget per key before a write tells it the total), only how fresh each replica's totals are
   * and how often it pays for a write: each costs the gateway about as much CPU as a request, and at 20 ms the shared
   * store's gateway spent 0.1–0.2 ms more CPU per request than one counting in memory (bench/gateway.ts).
   * Default: 100.
   */
  RATE_LIMIT_SYNC_MS: z.coerce.number().int().min(1).max(1000).default(100),

  // The rate-limit store: the gateway's database, with logins from Vault's database engine (role api-gateway).
  ...databaseEnv({ name: 'api_gateway', vaultRole: 'api-gateway' }),

  // Vault, for database logins only; VAULT_ADDR unset means a static DATABASE_USER (or RATE_LIMIT_STORE=memory).
  ...vaultLoginEnv('api-gateway'),
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
