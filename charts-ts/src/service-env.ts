// Each container's environment, from the program's own config schema: a variable the program does not read
// does not compile, and test/charts/env-schemas.test.ts parses what is rendered with the same schemas.
import { gatewayEnv } from '@cf/api-gateway/config';
import { integrationServiceEnv } from '@cf/integration-service/config';
import { userServiceEnv } from '@cf/user-service/config';
import { settingsShape as unsealerEnv } from '@cf/vault-unsealer/settings';
import { VAULT_CONFIG_KEY } from '@cf/vault-unsealer/vault-config';
import { webEnv } from '@cf/web/config';
import { envFor, podName, podNamespace, type ContainerEnv } from './lib/env.ts';
import { VAULT_TOKEN_DIR } from './lib/workload.ts';
import {
  HTTP_PORT,
  internalCa,
  ns,
  postgres,
  service,
  TELEGRAM_SESSION_KEY,
  unsealer,
  vault,
  type ServiceName,
} from './platform.ts';
import type { Profile } from './profile.ts';

export const integrationHeadless = 'integration-service-headless';
export const JWKS_URL = `http://user-service.${ns.apps}.svc:${HTTP_PORT}/.well-known/jwks.json`;
/** The internal CA's certificate in every pod that verifies Vault or PostgreSQL. */
export const CA_FILE = `${internalCa.mountDir}/${internalCa.file}`;
/** Where vault-unsealer reads its Vault-audience token (its VAULT_TOKEN_FILE). */
export const UNSEALER_TOKEN_DIR = '/var/run/secrets/vault.content-factory.dev/serviceaccount';

/** Every program's schema by container name, for the chart tests. */
export const schemas = {
  web: webEnv,
  'api-gateway': gatewayEnv,
  'user-service': userServiceEnv,
  'integration-service': integrationServiceEnv,
  [unsealer.name]: unsealerEnv,
} as const;

const listen = { PORT: HTTP_PORT, HOST: '0.0.0.0', LOG_LEVEL: 'info' } as const;

/** One issuer and audience for every verifier; user-service issues, the others check against its JWKS. */
const jwt = (profile: Profile) => ({ JWT_ISSUER: `https://${profile.host}/auth`, JWT_AUDIENCE: 'content-factory' });

/** Kubernetes auth with the projected Vault-audience token (see workload.ts `vaultTokenVolume`). */
const vaultLogin = (name: ServiceName) => ({
  VAULT_ADDR: vault.address,
  VAULT_CACERT: CA_FILE,
  VAULT_AUTH: 'kubernetes',
  VAULT_ROLE: name,
  VAULT_JWT_FILE: `${VAULT_TOKEN_DIR}/token`,
  VAULT_KV_MOUNT: 'secret',
});

/** The service's own database; logins come from Vault's database engine and `SET ROLE` to the owner. */
const database = (name: ServiceName) => {
  const db = service(name).database!;
  return {
    DATABASE_HOST: postgres.rwService,
    DATABASE_PORT: postgres.port,
    DATABASE_NAME: db,
    DATABASE_OWNER_ROLE: db,
    VAULT_DATABASE_ROLE: name,
    DATABASE_SSLMODE: 'verify-full',
    DATABASE_SSLROOTCERT: CA_FILE,
  };
};

export function webContainerEnv(): ContainerEnv<typeof webEnv> {
  return envFor(webEnv, { ...listen });
}

export function gatewayContainerEnv(profile: Profile): ContainerEnv<typeof gatewayEnv> {
  const { VAULT_KV_MOUNT: _unused, ...login } = vaultLogin('api-gateway');
  return envFor(gatewayEnv, {
    ...listen,
    // Rate limits shared by every replica, in the gateway's database (logins from Vault's database engine).
    RATE_LIMIT_STORE: 'postgres',
    ...login,
    ...database('api-gateway'),
    // Behind the TLS entry's proxy: its hop, and only its, adds the client address.
    TRUSTED_PROXIES: profile.podNetwork.cidrs.join(','),
    ...jwt(profile),
    JWKS_URL,
    USER_SERVICE_URL: `http://user-service.${ns.apps}.svc:${HTTP_PORT}`,
    INTEGRATION_SERVICE_URL: `http://integration-service.${ns.apps}.svc:${HTTP_PORT}`,
    PUBLIC_ORIGIN: `https://${profile.host}`,
  });
}

/** KV v2 path (mount `secret`) of user-service's SMTP login; its policy reads it and may not write it. */
export const SMTP_SECRET_PATH = 'user-service/smtp';

export function userServiceContainerEnv(profile: Profile): ContainerEnv<typeof userServiceEnv> {
  return envFor(userServiceEnv, {
    ...listen,
    // Behind api-gateway, whose X-Forwarded-For carries the client address for rate limits.
    TRUSTED_PROXIES: profile.podNetwork.cidrs.join(','),
    ...vaultLogin('user-service'),
    ...database('user-service'),
    ...jwt(profile),
    // Links in mails (verification, reset) open the web UI at the public host.
    PUBLIC_URL: `https://${profile.host}`,
    // The relay (network.ts lets user-service reach it on this port only); its login is read from Vault KV.
    SMTP_HOST: profile.mailRelay.host,
    SMTP_PORT: String(profile.mailRelay.port),
    SMTP_TLS: profile.mailRelay.tls,
    SMTP_SECRET_PATH: SMTP_SECRET_PATH,
  });
}

export function integrationServiceContainerEnv(profile: Profile): ContainerEnv<typeof integrationServiceEnv> {
  return envFor(integrationServiceEnv, {
    ...listen,
    POD_NAME: podName,
    ...vaultLogin('integration-service'),
    ...database('integration-service'),
    ...jwt(profile),
    JWKS_URL,
    PEER_ADDRESS_TEMPLATE: `http://{pod}.${integrationHeadless}.${ns.apps}.svc:${HTTP_PORT}`,
    TELEGRAM_MODE: profile.telegramMode,
    ...(profile.unverifiedMayNot === undefined ? {} : { UNVERIFIED_MAY_NOT: profile.unverifiedMayNot }),
    TELEGRAM_KV_PATH: 'integration-service/telegram',
    VAULT_TRANSIT_MOUNT: 'transit',
    VAULT_TRANSIT_KEY: TELEGRAM_SESSION_KEY,
  });
}

export function serviceContainerEnv(name: ServiceName, profile: Profile): ContainerEnv<object> {
  switch (name) {
    case 'web':
      return webContainerEnv();
    case 'api-gateway':
      return gatewayContainerEnv(profile);
    case 'user-service':
      return userServiceContainerEnv(profile);
    case 'integration-service':
      return integrationServiceContainerEnv(profile);
  }
}

export function unsealerContainerEnv(profile: Profile): ContainerEnv<typeof unsealerEnv> {
  return envFor(unsealerEnv, {
    POD_NAME: podName,
    POD_NAMESPACE: podNamespace,
    PORT: unsealer.port,
    VAULT_POD_SELECTOR: `app.kubernetes.io/name=${vault.name}`,
    VAULT_ADDRESS_TEMPLATE: `https://{pod}.{service}.{namespace}.svc:${vault.apiPort}`,
    VAULT_HEADLESS_SERVICE: vault.headless,
    VAULT_FIRST_POD: `${vault.name}-0`,
    VAULT_KEY_SECRET: unsealer.keySecret,
    VAULT_KEY_SECRETS: profile.vault.keySecrets,
    VAULT_SECRET_SHARES: profile.vault.secretShares,
    VAULT_SECRET_THRESHOLD: profile.vault.secretThreshold,
    VAULT_CONFIG_FILE: `${unsealer.configDir}/${VAULT_CONFIG_KEY}`,
    LEASE_NAME: unsealer.lease,
    VAULT_TOKEN_FILE: `${UNSEALER_TOKEN_DIR}/token`,
    VAULT_AUTH_ROLE: unsealer.name,
    // The operator trusts exactly this CA for Vault (trustVaultCa), not every TLS peer of the process.
    VAULT_CACERT: CA_FILE,
  });
}
