import test from 'ava';
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { axeViolations, screenshot, startWebFixture, type WebFixture } from './fixture.ts';

let f: WebFixture;

test.before(async () => {
  f = await startWebFixture({}, { telegramDemo: true });
});

test.after.always(async () => {
  await f?.stop();
});

async function loggedInPage(width = 1280, options: { bypassCSP?: boolean; clock?: boolean } = {}): Promise<Page> {
  const context = await f.chromium.browser.newContext({
    viewport: { width, height: 800 },
    ...(options.bypassCSP ? { bypassCSP: true } : {}),
  });
  const page = await context.newPage();
  if (options.clock === true) await page.clock.install();
  await page.goto(`${f.url}/register`);
  await page.getByLabel('Email').fill(`tg-${randomUUID().slice(0, 8)}@example.org`);
  await page.getByLabel('Password', { exact: true }).fill(`telegram ui ${randomUUID().slice(0, 8)}`);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Telegram accounts' }).waitFor();
  return page;
}

async function openSection(page: Page, name: string): Promise<void> {
  await page.getByRole('link', { name }).click();
  await page.getByRole('heading', { name }).waitFor();
}

test('connecting by phone with a code shows the code type, counts down the resend and lists the account', async (t) => {
  const page = await loggedInPage();
  await openSection(page, 'Connect by phone');
  await page.getByLabel('Phone number').fill('+44 7700 900111');
  await page.getByRole('button', { name: 'Send code' }).click();
  await page.getByTestId('code-type').waitFor();
  t.regex((await page.getByTestId('code-type').textContent()) ?? '', /We sent a code (in the Telegram app|by SMS)/);
  t.regex((await page.getByRole('button', { name: /Resend in \d+ s/ }).textContent()) ?? '', /Resend in \d+ s/);
  t.true(await page.getByRole('button', { name: /Resend in/ }).isDisabled());
  await screenshot(page, 'telegram-code');
  await page.getByLabel('Code').fill('12345');
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.getByRole('status').filter({ hasText: 'Connected.' }).waitFor();
  await openSection(page, 'Telegram accounts');
  await page.getByRole('button', { name: 'Disconnect' }).waitFor();
  t.is(await page.getByRole('button', { name: 'Disconnect' }).count(), 1);
  await screenshot(page, 'telegram-accounts');
  await page.context().close();
});

test('after the countdown the code can be resent by the next delivery type', async (t) => {
  const page = await loggedInPage(1280, { clock: true });
  await openSection(page, 'Connect by phone');
  await page.getByLabel('Phone number').fill('+44 7700 900117');
  await page.getByRole('button', { name: 'Send code' }).click();
  await page.getByTestId('code-type').waitFor();
  const before = await page.getByTestId('code-type').textContent();
  await page.clock.runFor(180_000); // every tick of the countdown, at once
  const resend = page.getByRole('button', { name: /^Resend (by|in the|code)/ });
  await resend.waitFor();
  t.false(await resend.isDisabled());
  await resend.click();
  await page.waitForFunction(
    (previous) => document.querySelector('[data-testid="code-type"]')?.textContent !== previous,
    before,
  );
  t.regex((await page.getByTestId('code-type').textContent()) ?? '', /by SMS|by phone call/);
  await page.getByLabel('Code').fill('12345');
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.getByRole('status').filter({ hasText: 'Connected.' }).waitFor();
  await page.context().close();
});

test('connecting by phone asks for the 2FA password when the account has one', async (t) => {
  const page = await loggedInPage();
  await openSection(page, 'Connect by phone');
  await page.getByLabel('Phone number').fill('+44 7700 900112');
  await page.getByRole('button', { name: 'Send code' }).click();
  await page.getByLabel('Code').fill('12345');
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.getByLabel('Telegram password').waitFor();
  await screenshot(page, 'telegram-2fa');
  await page.getByLabel('Telegram password').fill('not-the-password');
  await page.getByRole('button', { name: 'Connect' }).click();
  await page
    .locator('.form-error')
    .filter({ hasText: /password/i })
    .waitFor();
  await page.getByLabel('Telegram password').fill('demo-password');
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.getByRole('status').filter({ hasText: 'Connected.' }).waitFor();
  t.pass();
  await page.context().close();
});

test('a wrong code and a malformed number are explained', async (t) => {
  const page = await loggedInPage();
  await openSection(page, 'Connect by phone');
  await page.getByLabel('Phone number').fill('abc');
  await page.getByRole('button', { name: 'Send code' }).click();
  t.regex((await page.locator('.form-error').textContent()) ?? '', /international format/);
  await page.getByLabel('Phone number').fill('+44 7700 900113');
  await page.getByRole('button', { name: 'Send code' }).click();
  await page.getByLabel('Code').fill('99999');
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.locator('.form-error').filter({ hasText: /code/i }).waitFor();
  t.pass();
  await page.context().close();
});

test('connecting by QR code shows the code and follows the login to connected', async (t) => {
  const page = await loggedInPage();
  await openSection(page, 'Connect by QR code');
  const qr = page.getByTestId('qr');
  await qr.waitFor();
  t.regex((await qr.getAttribute('data-url')) ?? '', /^tg:\/\/login\?token=/);
  t.true(await page.getByRole('img', { name: 'QR code to link this Telegram account' }).isVisible());
  await screenshot(page, 'telegram-qr');
  // The demo fake "scans" the code after 5 s; the page polls and shows the outcome without a reload.
  await page.getByRole('status').filter({ hasText: 'Connected.' }).waitFor({ timeout: 15_000 });
  await openSection(page, 'Telegram accounts');
  await page.getByRole('button', { name: 'Disconnect' }).waitFor();
  t.pass();
  await page.context().close();
});

test('disconnecting an account removes it from the list', async (t) => {
  const page = await loggedInPage();
  await openSection(page, 'Connect by phone');
  await page.getByLabel('Phone number').fill('+44 7700 900114');
  await page.getByRole('button', { name: 'Send code' }).click();
  await page.getByLabel('Code').fill('12345');
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.getByRole('status').filter({ hasText: 'Connected.' }).waitFor();
  await openSection(page, 'Telegram accounts');
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByRole('button', { name: 'Disconnect' }).click();
  await page.getByText('No Telegram account connected yet.').waitFor();
  t.pass();
  await page.context().close();
});

test('the integration log and error statistics show the caller’s operations', async (t) => {
  const page = await loggedInPage();
  await openSection(page, 'Connect by phone');
  await page.getByLabel('Phone number').fill('+44 7700 900115');
  await page.getByRole('button', { name: 'Send code' }).click();
  await page.getByLabel('Code').fill('99999');
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.locator('.form-error').filter({ hasText: /code/i }).waitFor();
  await openSection(page, 'Integration log');
  await page.locator('table tbody tr').first().waitFor();
  t.true((await page.locator('table tbody tr').count()) >= 2);
  await screenshot(page, 'telegram-log');
  await openSection(page, 'Error statistics');
  await page.locator('table tbody tr').first().waitFor();
  await screenshot(page, 'telegram-stats');
  await page.context().close();
});

for (const width of [1280, 375]) {
  test(`axe finds no serious or critical violation in the Telegram screens at ${width} px`, async (t) => {
    const page = await loggedInPage(width, { bypassCSP: true });
    const found: Record<string, unknown[]> = {};
    await page.goto(`${f.url}/connect/phone`);
    await page.getByLabel('Phone number').fill('+44 7700 900116');
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByLabel('Code').waitFor();
    found['code step'] = await axeViolations(page);
    await page.goto(`${f.url}/connect/qr`);
    await page.getByTestId('qr').waitFor();
    found['qr'] = await axeViolations(page);
    t.deepEqual(Object.fromEntries(Object.entries(found).filter(([, v]) => v.length > 0)), {});
    await page.context().close();
  });
}
