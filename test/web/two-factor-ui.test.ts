import test from 'ava';
import type { Page } from 'playwright-core';
import { generateSync } from 'otplib';
import { startWebFixture, screenshot, type WebFixture } from './fixture.ts';
import { heading, logInThroughUi, openPage, registerThroughUi, waitShowing } from './ui.ts';

// Issue 18 in Chromium: the security page's two-step verification section, the login's second step, and passkeys
// through a CDP virtual authenticator (WebAuthn domain) — registered, then used as a second factor and alone.
let f: WebFixture;

test.before(async () => {
  f = await startWebFixture();
  // WebAuthn binds credentials to the origin the browser sees: user-service's relying party is the gateway's
  // origin, known only once the platform runs. Same port, so the gateway keeps reaching it.
  Object.assign(f.users.env, {
    PUBLIC_URL: f.url,
    VAULT_TRANSIT_ENSURE: 'true',
    PORT: new URL(f.users.url).port,
  });
  await f.users.restart();
});

test.after.always(async () => {
  await f?.stop();
});

/** A page whose browser has a user-verifying platform authenticator that holds discoverable credentials. */
async function pageWithAuthenticator(): Promise<Page> {
  const page = await openPage(f);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return page;
}

async function openSecurity(page: Page): Promise<void> {
  await page.goto(`${f.url}/settings/security`);
  await heading(page, 'Security');
  await waitShowing(page, page.getByTestId('two-factor-status'), 'the two-step verification state');
}

async function logOutAndEnterPassword(page: Page, email: string, password: string): Promise<void> {
  await page.getByRole('button', { name: 'Log out' }).click();
  await heading(page, 'Log in');
  await logInThroughUi(f, page, email, password);
  await heading(page, 'Two-step verification');
}

/** The signed-in shell's page heading, once it shows (a login that did not complete fails naming the page shown). */
async function signedInHeading(page: Page, what: string): Promise<string> {
  await waitShowing(page, page.locator('cf-shell h1'), what, 20_000);
  return ((await page.locator('cf-shell h1').first().textContent()) ?? '').trim();
}

async function addPasskey(page: Page, name: string): Promise<void> {
  await page.locator('#passkey-name').fill(name);
  await page.getByTestId('passkey-add').click();
  await waitShowing(
    page,
    page.getByTestId('passkeys').getByText(name, { exact: true }).first(),
    'the new passkey in the list',
    20_000,
  ).catch(async (error: unknown) => {
    const said = (await page.locator('.two-factor-settings .form-error').textContent())?.trim();
    throw new Error(`${(error as Error).message}; the section says ${JSON.stringify(said)}`, { cause: error });
  });
}

test.afterEach.always((t) => {
  if (!t.passed)
    t.log(
      f.users.logs
        .filter((line) => /"level":[45]0|two-factor|passkey/.test(line))
        .slice(-15)
        .join('\n'),
    );
});

test.serial('an authenticator app is set up from the QR screen and then asked for at login', async (t) => {
  const page = await openPage(f);
  const { email, password } = await registerThroughUi(f, page);
  await openSecurity(page);
  t.is(
    (await page.getByTestId('two-factor-status').textContent())?.trim(),
    'Off: logging in needs only your password.',
  );
  await page.getByTestId('totp-setup').click();
  await waitShowing(page, page.getByTestId('totp-secret'), 'the enrolment key');
  const qr = page.locator('img.totp-qr');
  t.true((await qr.getAttribute('src'))?.startsWith('data:image/svg+xml;base64,'));
  t.true(
    await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0),
    'the QR code renders under the CSP',
  );
  const secret = ((await page.getByTestId('totp-secret').textContent()) ?? '').trim();
  const now = Math.floor(Date.now() / 1000);
  await page.locator('#totp-confirm-code').fill(generateSync({ secret, epoch: now }));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await waitShowing(page, page.getByTestId('recovery-codes'), 'the recovery codes');
  t.is(await page.getByTestId('recovery-codes').locator('li').count(), 10);
  await screenshot(page, 'two-factor-recovery-codes');
  await page.getByRole('button', { name: 'I have saved them' }).click();
  t.is((await page.getByTestId('two-factor-status').textContent())?.trim(), 'On: logging in needs a second factor.');

  await logOutAndEnterPassword(page, email, password);
  await screenshot(page, 'two-factor-login-step');
  // A wrong code is explained in the catalogue's words and the step stays open.
  await page.locator('#totp-code').fill('000000');
  await page.locator('#totp-code').press('Enter');
  await waitShowing(page, page.getByText('That code or passkey was not accepted.', { exact: false }), 'the refusal');
  await page.locator('#totp-code').fill(generateSync({ secret, epoch: now + 30 }));
  await page.locator('#totp-code').press('Enter');
  t.is(await signedInHeading(page, 'the signed-in shell after the second step'), 'Telegram accounts');
});

test.serial('a recovery code completes the login step in the UI', async (t) => {
  const page = await openPage(f);
  const { email, password } = await registerThroughUi(f, page);
  await openSecurity(page);
  await page.getByTestId('totp-setup').click();
  const secret = ((await page.getByTestId('totp-secret').textContent()) ?? '').trim();
  await page.locator('#totp-confirm-code').fill(generateSync({ secret, epoch: Math.floor(Date.now() / 1000) }));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await waitShowing(page, page.getByTestId('recovery-codes'), 'the recovery codes');
  const code = ((await page.getByTestId('recovery-codes').locator('li').first().textContent()) ?? '').trim();
  await page.getByRole('button', { name: 'I have saved them' }).click();
  await logOutAndEnterPassword(page, email, password);
  await page.getByRole('button', { name: 'Use a recovery code' }).click();
  await page.locator('#recovery-code').fill(code);
  await page.locator('#recovery-code').press('Enter');
  t.is(await signedInHeading(page, 'the signed-in shell after a recovery code'), 'Telegram accounts');
  await openSecurity(page);
  t.is((await page.getByTestId('codes-left').textContent())?.trim(), '9 unused recovery codes left.');
});

test.serial('a passkey registered in the settings completes a password login as its second factor', async (t) => {
  const page = await pageWithAuthenticator();
  const { email, password } = await registerThroughUi(f, page);
  await openSecurity(page);
  await addPasskey(page, 'Virtual key');
  await waitShowing(page, page.getByTestId('recovery-codes'), 'the recovery codes of the first factor');
  await page.getByRole('button', { name: 'I have saved them' }).click();
  await logOutAndEnterPassword(page, email, password);
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  t.is(await signedInHeading(page, 'the signed-in shell after the passkey'), 'Telegram accounts');
});

test.serial('a passkey logs in alone, without the password, and its assertion works once', async (t) => {
  const page = await pageWithAuthenticator();
  await registerThroughUi(f, page);
  await openSecurity(page);
  await addPasskey(page, 'Passwordless key');
  await page.getByRole('button', { name: 'I have saved them' }).click();
  await page.getByRole('button', { name: 'Log out' }).click();
  await heading(page, 'Log in');
  const sent = page.waitForRequest((request) => request.url().endsWith('/api/auth/passkey/login'));
  await page.getByTestId('passkey-login').click();
  t.is(await signedInHeading(page, 'the signed-in shell after a passwordless login'), 'Telegram accounts');
  // The same signed assertion again: its challenge was consumed by the first login, so it logs in nobody.
  const replay = await fetch(`${f.url}/api/auth/passkey/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: f.url },
    body: (await sent).postData() ?? '',
  });
  t.is(replay.status, 400);
});

test.serial('turning two-step verification off asks for a fresh factor first', async (t) => {
  const page = await pageWithAuthenticator();
  const { email, password } = await registerThroughUi(f, page);
  await openSecurity(page);
  await addPasskey(page, 'Key to confirm with');
  await page.getByRole('button', { name: 'I have saved them' }).click();
  await page.getByTestId('two-factor-disable').click();
  await page.locator('cf-factor-proof').getByRole('button', { name: 'Use a passkey' }).click();
  await waitShowing(
    page,
    page.getByTestId('two-factor-status').getByText('Off: logging in needs only your password.'),
    'the state after turning it off',
    20_000,
  );
  await page.getByRole('button', { name: 'Log out' }).click();
  await heading(page, 'Log in');
  await logInThroughUi(f, page, email, password);
  t.is(await signedInHeading(page, 'the shell straight after the password'), 'Telegram accounts');
});
