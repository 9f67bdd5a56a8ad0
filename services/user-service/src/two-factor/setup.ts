import type { Sequelize } from 'sequelize';
import type { Logger, VaultClient } from '@cf/kit';
import type { UserServiceConfig } from '../config.ts';
import { TwoFactorStore } from '../db/two-factor.ts';
import { TwoFactor } from './factors.ts';
import { LoginCaptcha } from './login-captcha.ts';
import { LoginSteps } from './login-steps.ts';
import { Passkeys, relyingPartyFor } from './passkeys.ts';
import { LocalSecretCipher, TransitSecretCipher, type SecretCipher } from './secret-cipher.ts';

/**
 * Wires two-factor authentication from the configuration: TOTP secrets through Vault transit (a local key file
 * only without Vault and outside production), passkeys for the relying party `PUBLIC_URL` names.
 */
export async function startTwoFactor(
  config: UserServiceConfig,
  wiring: { sequelize: Sequelize; vault: VaultClient | undefined; logger: Logger },
): Promise<{ deps: { factors: TwoFactor; steps: LoginSteps }; loginCaptcha: LoginCaptcha }> {
  let cipher: SecretCipher;
  if (wiring.vault !== undefined) {
    const transit = new TransitSecretCipher(wiring.vault, config.TWO_FACTOR_TRANSIT_KEY, config.VAULT_TRANSIT_MOUNT);
    if (config.VAULT_TRANSIT_ENSURE) await transit.ensureKey();
    cipher = transit;
  } else {
    if (process.env['NODE_ENV'] === 'production') {
      throw new Error('invalid configuration: VAULT_ADDR: required in production (TOTP secrets use Vault transit)');
    }
    cipher = new LocalSecretCipher(config.LOCAL_TWO_FACTOR_KEY_FILE);
  }
  const store = new TwoFactorStore(wiring.sequelize);
  const passkeys = new Passkeys(store, relyingPartyFor(config.PUBLIC_URL, config.PRODUCT_NAME), wiring.logger);
  const factors = new TwoFactor(
    store,
    passkeys,
    cipher,
    {
      issuer: config.PRODUCT_NAME,
      attemptsPerUser: config.TWO_FACTOR_ATTEMPTS_PER_USER,
      windowSeconds: config.RATE_WINDOW_SECONDS,
    },
    wiring.logger,
  );
  const loginCaptcha = new LoginCaptcha(
    wiring.sequelize,
    {
      afterFailures: config.LOGIN_CAPTCHA_AFTER_FAILURES,
      afterFailuresPerIp: config.LOGIN_CAPTCHA_AFTER_FAILURES_PER_IP,
      windowSeconds: config.RATE_WINDOW_SECONDS,
    },
    wiring.logger,
  );
  return {
    deps: { factors, steps: new LoginSteps({ store, ttlSeconds: config.TWO_FACTOR_STEP_SECONDS }) },
    loginCaptcha,
  };
}
