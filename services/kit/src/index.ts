export { accessTokenEnv, ConfigError, env, loadConfig, serverEnv } from './config.ts';
export { createLogger, type Logger, type LoggerOptions, type LogLevel } from './logger.ts';
export { isSecretField, redact, REDACTED } from './redact.ts';
export { createApp, type ServiceApp, type ServiceAppOptions, type ServiceState } from './http/app.ts';
export { jsonBody, type JsonBodyOptions } from './http/body.ts';
export { checkReadiness, type ReadinessCheck, type ReadinessReport } from './http/health.ts';
export { createMetrics, type Metrics } from './http/metrics.ts';
export { HttpProblem, PROBLEM_CONTENT_TYPE, type FieldError, type ProblemInit } from './http/problem.ts';
export { REQUEST_ID_HEADER } from './http/request-id.ts';
// For request handlers beside koa (api-gateway's proxy lane): the same edge behaviour without a koa context.
export { requestIdOf } from './http/request-id.ts';
export { clientAddressResolver, proxyRanges } from './http/client-address.ts';
export { helmetDefaults } from './http/security-headers.ts';
export {
  listen,
  shutdownOnSignals,
  type ListenOptions,
  type RunningServer,
  type ShutdownOptions,
} from './http/server.ts';
export { validate } from './http/validate.ts';
export {
  StaticCredentials,
  VaultDatabaseCredentials,
  type CredentialSource,
  type DatabaseCredentials,
  type VaultCredentialsOptions,
} from './database/credentials.ts';
export { Database, sqlStatements, type DatabaseOptions, type Migration } from './database/database.ts';
export {
  connectionNotReady,
  LIMIT_CHECK_DEADLINE_MS,
  LimitCheckDeadlineExceeded,
  PostgresLimiter,
  type PostgresLimiterOptions,
} from './database/postgres-limiter.ts';
export { databaseTlsEnv, databaseTlsFromEnv, type DatabaseTls } from './database/tls.ts';
export { vaultCaFromEnv, vaultTlsEnv } from './vault/tls.ts';
export { LocalCipher, TransitCipher, type SecretCipher } from './vault/cipher.ts';
export {
  VaultClient,
  type DatabaseLease,
  type KvSecret,
  type VaultAuth,
  type VaultClientOptions,
} from './vault/client.ts';
export {
  toVaultError,
  VaultError,
  VaultNotFoundError,
  VaultPermissionError,
  VaultRequestError,
  VaultUnavailableError,
} from './vault/errors.ts';
export {
  mountOperations,
  openApiDocument,
  operation,
  operationGroup,
  type GroupDefaults,
  type GroupMember,
  type ApiInfo,
  type ErrorStatus,
  type MountOptions,
  type Operation,
  type OperationAuth,
  type OperationLink,
  type Success,
} from './http/operations.ts';
export { idLinks } from './http/links.ts';
export { createdAnswer, listAnswer, noContentAnswer, okAnswer, type LinkedAnswer } from './http/resource-answers.ts';
export { PROBLEM_SCHEMA, problemResponseDefinition, problemResponseName } from './http/openapi-components.ts';
export { JwksKeys, type JwksOptions, type KeyResolver } from './auth/jwks.ts';
export { SessionRevocations, type SessionRevocationsOptions } from './auth/revocations.ts';
export {
  ACCESS_TOKEN_TYPE,
  bearerToken,
  emailVerified,
  REFRESH_COOKIE,
  requireJwt,
  requireRole,
  verifiedClaims,
  verifyAccessToken,
  type AccessTokenCheck,
  type RequireJwtOptions,
  type Role,
  type VerifiedClaims,
} from './auth/access-token.ts';
export { serveWebApp } from './http/static-files.ts';
export {
  connectVaultFromEnv,
  credentialsFromEnv,
  databaseFromEnv,
  type DatabaseEnv,
  type DatabaseLoginEnv,
  type VaultEnv,
} from './from-env.ts';
