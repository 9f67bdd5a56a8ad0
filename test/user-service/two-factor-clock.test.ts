import test from 'ava';
import { randomUUID } from 'node:crypto';
import { createLogger, VaultClient } from '@cf/kit';
import { TwoFactorStore } from '../../services/user-service/src/db/two-factor.ts';
import { TwoFactor } from '../../services/user-service/src/two-factor/factors.ts';
import { Passkeys, relyingPartyFor } from '../../services/user-service/src/two-factor/passkeys.ts';
import { TransitSecretCipher } from '../../services/user-service/src/two-factor/secret-cipher.ts';
import { startUserServiceFixture, type UserServiceFixture } from './fixture.ts';
import { totpCode } from './two-factor-support.ts';

// RFC 6238's clock window with an injected clock (no sleeps): the service's TOTP checks against real PostgreSQL
// and OpenBao transit, moved through time by the test.
let f: UserServiceFixture;
let vault: VaultClient;
let factors: TwoFactor;
/** The clock the TOTP checks read (ms). Starts mid-step, so ±15 s never crosses a step by accident. */
let now = Math.floor(Date.now() / 30_000) * 30_000 + 15_000;

test.before(async () => {
  f = await startUserServiceFixture({ VAULT_TRANSIT_ENSURE: 'true' });
  vault = await VaultClient.connect({
    endpoint: f.vault.address,
    auth: { method: 'token', token: f.vault.rootToken ?? '' },
  });
  const store = new TwoFactorStore(f.service.store.sequelize);
  factors = new TwoFactor(
    store,
    new Passkeys(store, relyingPartyFor('http://localhost:5173', 'Content Factory')),
    new TransitSecretCipher(vault, 'two-factor-secrets'),
    { issuer: 'Content Factory', attemptsPerUser: 100, windowSeconds: 900, now: () => now },
    createLogger({ name: 'clock-test', level: 'fatal' }),
  );
});

test.after.always(async () => {
  vault?.close();
  await f?.stop();
});

/** A user (a row the foreign keys need) with a confirmed authenticator app at the current test time. */
async function enrolled(): Promise<{ userId: string; secret: string }> {
  const user = await f.service.store.createUser(`clock-${randomUUID().slice(0, 8)}@example.org`, 'x', null);
  const { secret } = await factors.enrolTotp(user!.id, user!.email);
  await factors.confirmTotp(user!.id, totpCode(secret, 0, now));
  return { userId: user!.id, secret };
}

const accepts = async (userId: string, code: string): Promise<boolean> =>
  factors.prove(userId, { code }, 'second-factor').then(
    () => true,
    () => false,
  );

test.serial('a code one step ahead or behind the server clock is accepted (±1 step window)', async (t) => {
  const { userId, secret } = await enrolled();
  now += 60_000; // two steps later: the confirming code is two steps old
  t.true(await accepts(userId, totpCode(secret, -1, now)), 'the previous step');
  t.true(await accepts(userId, totpCode(secret, 0, now)), 'the current step');
  t.true(await accepts(userId, totpCode(secret, 1, now)), 'the next step');
});

test.serial('a code two steps away from the server clock is refused', async (t) => {
  const { userId, secret } = await enrolled();
  now += 120_000;
  t.false(await accepts(userId, totpCode(secret, -2, now)), 'two steps behind');
  t.false(await accepts(userId, totpCode(secret, 2, now)), 'two steps ahead');
});

test.serial('a used code stays refused for as long as its step is inside the window', async (t) => {
  const { userId, secret } = await enrolled();
  now += 60_000;
  const code = totpCode(secret, 0, now);
  t.true(await accepts(userId, code));
  t.false(await accepts(userId, code), 'the same code at once');
  now += 30_000;
  t.false(await accepts(userId, code), 'the same code one step later, still inside the window');
  t.false(await accepts(userId, totpCode(secret, -1, now)), 'an older step than the one used');
});

test.serial('the code of the enrolment it confirmed cannot log in', async (t) => {
  const { userId, secret } = await enrolled();
  t.false(await accepts(userId, totpCode(secret, 0, now)));
});

test.serial('an enrolment not yet confirmed is no factor', async (t) => {
  const user = await f.service.store.createUser(`pending-${randomUUID().slice(0, 8)}@example.org`, 'x', null);
  const { secret } = await factors.enrolTotp(user!.id, user!.email);
  t.false(await factors.enabled(user!.id));
  t.false(await accepts(user!.id, totpCode(secret, 0, now)));
});
