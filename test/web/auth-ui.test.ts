import test from 'ava';
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { axeViolations, screenshot, startWebFixture, type WebFixture } from './fixture.ts';

let f: WebFixture;

test.before(async () => {
  f = await startWebFixture();
});

test.after.always(async () => {
  await f?.stop();
});

async function newPage(width = 1280, height = 800, options: { bypassCSP?: boolean } = {}): Promise<Page> {
  // Only the axe tests bypass the UI's Content-Security-Policy, to inject axe-core itself.
  const context = await f.chromium.browser.newContext({ viewport: { width, height }, ...options });
  return context.newPage();
}

/** A marker on `window` survives client-side navigation and dies with a reload. */
async function markNoReload(page: Page): Promise<void> {
  await page.evaluate(() => ((window as unknown as { cfMarker: number }).cfMarker = 42));
}

async function stillSameDocument(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { cfMarker?: number }).cfMarker === 42);
}

async function registerThroughUi(page: Page): Promise<{ email: string; password: string }> {
  const email = `ui-${randomUUID().slice(0, 8)}@example.org`;
  const password = `ui password ${randomUUID().slice(0, 8)}`;
  await page.goto(`${f.url}/register`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Display name').fill('Ada');
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Telegram accounts' }).waitFor();
  return { email, password };
}

test.serial('register, dashboard, logout and log in again, all without a reload', async (t) => {
  const page = await newPage();
  await page.goto(`${f.url}/login`);
  await markNoReload(page);
  await page.getByRole('link', { name: 'Create one' }).click();
  await page.getByRole('heading', { name: 'Create your account' }).waitFor();
  const email = `flow-${randomUUID().slice(0, 8)}@example.org`;
  const password = `a flow password ${randomUUID().slice(0, 6)}`;
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Telegram accounts' }).waitFor();
  t.is(await page.getByTestId('who').textContent(), email);
  await screenshot(page, 'dashboard');
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  t.is(new URL(page.url()).pathname, '/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Telegram accounts' }).waitFor();
  t.true(await stillSameDocument(page), 'no page reload happened');
  await page.context().close();
});

test.serial('a reload keeps the user logged in through the refresh cookie', async (t) => {
  const page = await newPage();
  await registerThroughUi(page);
  await page.reload();
  await page.getByRole('heading', { name: 'Telegram accounts' }).waitFor();
  t.pass();
  await page.context().close();
});

test.serial('logging out in one tab logs out the other', async (t) => {
  const context = await f.chromium.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const first = await context.newPage();
  await registerThroughUi(first);
  const second = await context.newPage();
  await second.goto(`${f.url}/`);
  await second.getByRole('heading', { name: 'Telegram accounts' }).waitFor();
  await markNoReload(second);
  await first.getByRole('button', { name: 'Log out' }).click();
  await second.getByRole('heading', { name: 'Log in' }).waitFor({ timeout: 5000 });
  t.true(await stillSameDocument(second));
  await context.close();
});

test.serial('the login form explains what is wrong before asking the server', async (t) => {
  const page = await newPage();
  await page.goto(`${f.url}/login`);
  await page.getByRole('button', { name: 'Log in' }).click();
  t.is(await page.locator('#email-error').textContent(), 'Enter your email address.');
  t.is(await page.locator('#password-error').textContent(), 'Enter your password.');
  t.is(await page.evaluate(() => document.activeElement?.id), 'email', 'focus moves to the first invalid field');
  await page.getByLabel('Email').fill('not-an-email');
  await page.getByRole('button', { name: 'Log in' }).click();
  t.is(await page.locator('#email-error').textContent(), 'Enter an email address like name@example.org.');
  await page.context().close();
});

test.serial('registration asks for 8 characters and shows the server’s refusal of a common password', async (t) => {
  const page = await newPage();
  await page.goto(`${f.url}/register`);
  await page.getByLabel('Email').fill(`v-${randomUUID().slice(0, 6)}@example.org`);
  await page.getByLabel('Password', { exact: true }).fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  t.is(await page.locator('#password-error').textContent(), 'Use at least 8 characters.');
  await page.getByLabel('Password', { exact: true }).fill('password123');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.locator('#password-error').filter({ hasText: 'too common' }).waitFor();
  t.pass();
  await page.context().close();
});

test.serial('a wrong password shows the server’s message', async (t) => {
  const page = await newPage();
  const { email } = await registerThroughUi(page);
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill('not the password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('.form-error').filter({ hasText: 'email or password is incorrect' }).waitFor();
  t.pass();
  await page.context().close();
});

test.serial('the password can be shown and hidden again', async (t) => {
  const page = await newPage();
  await page.goto(`${f.url}/login`);
  const input = page.getByLabel('Password', { exact: true });
  t.is(await input.getAttribute('type'), 'password');
  await page.getByRole('button', { name: 'Show password' }).click();
  t.is(await input.getAttribute('type'), 'text');
  await page.getByRole('button', { name: 'Hide password' }).click();
  t.is(await input.getAttribute('type'), 'password');
  await page.context().close();
});

test.serial('on a 375 px screen the sidebar opens from the hamburger and closes by button or overlay', async (t) => {
  const page = await newPage(375, 740);
  await registerThroughUi(page);
  const sidebar = page.locator('#sidebar');
  t.false(await sidebar.isVisible());
  await screenshot(page, 'dashboard');
  await page.getByRole('button', { name: 'Open menu' }).click();
  await page.getByRole('link', { name: 'Connect by phone' }).waitFor({ state: 'visible' });
  t.true(await page.getByTestId('overlay').isVisible());
  await page.waitForTimeout(300); // let the slide-in finish for the screenshot
  await screenshot(page, 'dashboard-menu');
  await page.getByRole('button', { name: 'Close menu' }).click();
  await page.waitForFunction(() => getComputedStyle(document.getElementById('sidebar')!).visibility === 'hidden');
  await page.getByRole('button', { name: 'Open menu' }).click();
  await page.getByTestId('overlay').click({ position: { x: 360, y: 400 } });
  await page.waitForFunction(() => getComputedStyle(document.getElementById('sidebar')!).visibility === 'hidden');
  await page.getByRole('button', { name: 'Open menu' }).click();
  await page.getByRole('link', { name: 'Integration log' }).click();
  await page.getByRole('heading', { name: 'Integration log' }).waitFor();
  await page.waitForFunction(() => getComputedStyle(document.getElementById('sidebar')!).visibility === 'hidden');
  t.pass();
  await page.context().close();
});

test.serial('on a wide screen the sidebar is always open', async (t) => {
  const page = await newPage(1280, 800);
  await registerThroughUi(page);
  t.true(await page.locator('#sidebar').isVisible());
  t.false(await page.getByRole('button', { name: 'Open menu' }).isVisible());
  await page.context().close();
});

for (const width of [1280, 375]) {
  test.serial(`axe finds no serious or critical violation on any page at ${width} px`, async (t) => {
    const page = await newPage(width, 800, { bypassCSP: true });
    const found: Record<string, unknown[]> = {};
    for (const path of ['/login', '/register']) {
      await page.goto(`${f.url}${path}`);
      await page.getByRole('button', { name: path === '/login' ? 'Log in' : 'Create account' }).waitFor();
      await screenshot(page, path.slice(1));
      found[path] = await axeViolations(page);
    }
    await registerThroughUi(page);
    for (const [name, heading] of [
      ['accounts', 'Telegram accounts'],
      ['connect/phone', 'Connect by phone'],
      ['connect/qr', 'Connect by QR code'],
      ['log', 'Integration log'],
      ['stats', 'Error statistics'],
    ] as const) {
      await page.goto(`${f.url}/${name === 'accounts' ? '' : name}`);
      await page.getByRole('heading', { name: heading }).waitFor();
      await screenshot(page, name.replace('/', '-'));
      found[name] = await axeViolations(page);
    }
    t.deepEqual(Object.fromEntries(Object.entries(found).filter(([, violations]) => violations.length > 0)), {});
    await page.context().close();
  });
}
