// Operator commands, run with the service's own environment (same Vault and database):
//   node services/user-service/src/cli.ts rotate-keys        new signing key; the old one keeps verifying
//   node services/user-service/src/cli.ts make-admin <email> give an existing account the admin role
import { connectVaultFromEnv, createLogger, databaseFromEnv } from '@cf/kit';
import { loadUserServiceConfig } from './config.ts';
import { UserStore } from './db/store.ts';
import { keyStoreFor } from './service.ts';
import { JWKS_MAX_AGE_SECONDS, SigningKeys } from './tokens/signing-keys.ts';

const [command, argument] = process.argv.slice(2);
const config = loadUserServiceConfig();
const logger = createLogger({ name: 'user-service-cli', level: 'warn' });
const vault = await connectVaultFromEnv(config, logger);

if (command === 'rotate-keys') {
  const keys = await SigningKeys.load(keyStoreFor(config, vault), logger);
  // Published now; signs once every instance has reloaded it and every JWKS cache has expired.
  const key = await keys.rotate(JWKS_MAX_AGE_SECONDS + config.KEY_RELOAD_SECONDS);
  console.log(`new signing key ${key.kid}, published now; it signs from ${new Date(key.notBefore).toISOString()}`);
} else if (command === 'make-admin' && argument !== undefined) {
  const database = databaseFromEnv(config, vault, logger);
  const store = new UserStore(database.sequelize);
  const user = await store.userByEmail(argument);
  if (user === undefined) {
    console.error(`no account with email ${argument}`);
    process.exitCode = 1;
  } else {
    await store.updateAdminFields(user.id, { role: 'admin' });
    console.log(`${user.email} is now an administrator`);
  }
  await database.close();
} else {
  console.error('usage: cli.ts rotate-keys | make-admin <email>');
  process.exitCode = 2;
}
vault?.close();
