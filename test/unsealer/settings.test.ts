import test from 'ava';
import { ConfigError } from '@cf/kit';
import { keySecretNames, loadSettings, unsealerRoles } from '@cf/vault-unsealer';

test('the environment contract with charts-ts has the documented defaults', (t) => {
  const settings = loadSettings({ POD_NAME: 'vault-unsealer-7d9f', POD_NAMESPACE: 'cf-vault' });
  t.like(settings, {
    POD_NAME: 'vault-unsealer-7d9f',
    POD_NAMESPACE: 'cf-vault',
    VAULT_NAMESPACE: undefined,
    VAULT_POD_SELECTOR: 'app.kubernetes.io/name=vault',
    VAULT_ADDRESS_TEMPLATE: 'http://{pod}.{service}.{namespace}.svc:8200',
    VAULT_HEADLESS_SERVICE: 'vault-internal',
    VAULT_FIRST_POD: 'vault-0',
    VAULT_KEY_SECRET: 'vault-unseal-keys',
    VAULT_SECRET_SHARES: 5,
    VAULT_SECRET_THRESHOLD: 3,
    VAULT_CONFIG_FILE: '/etc/vault-unsealer/vault-config.json',
    LEASE_NAME: 'vault-unsealer',
    RESYNC_SECONDS: 30,
    PORT: 8080,
    LOG_LEVEL: 'info',
  });
});

test('a threshold above the number of shares is refused before anything starts', (t) => {
  t.throws(() => loadSettings({ VAULT_SECRET_SHARES: '3', VAULT_SECRET_THRESHOLD: '4' }), {
    message: /THRESHOLD/,
  });
  t.throws(() => loadSettings({ VAULT_SECRET_SHARES: 'five' }), { instanceOf: ConfigError });
});

test('shares split over Secrets are refused when one Secret would still hold a threshold', (t) => {
  t.is(loadSettings({}).VAULT_KEY_SECRETS, 1);
  t.is(loadSettings({ VAULT_KEY_SECRETS: '3' }).VAULT_KEY_SECRETS, 3, '5 shares over 3 Secrets: at most 2 in one');
  t.throws(() => loadSettings({ VAULT_KEY_SECRETS: '2' }), { message: /VAULT_KEY_SECRETS/ }, '3 of 5 in one Secret');
});

test('the unsealer may read each split key Secret by name and no other', (t) => {
  const [role] = unsealerRoles({ namespace: 'cf-vault', keySecrets: 3 });
  const named = role!.rules!.find((rule) => rule.resources?.includes('secrets') && rule.resourceNames !== undefined);
  t.deepEqual(named?.resourceNames, ['vault-unseal-keys-1', 'vault-unseal-keys-2', 'vault-unseal-keys-3']);
  t.deepEqual(keySecretNames('vault-unseal-keys'), ['vault-unseal-keys']);
});
