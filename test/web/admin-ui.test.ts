import test from 'ava';
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { axeViolations, screenshot, startWebFixture, type WebFixture } from './fixture.ts';
import { call, registerAccount, type Account } from '../user-service/fixture.ts';
import { heading, openPage, registerThroughUi, scrollsSideways, waitShowing, type PageOptions } from './ui.ts';

// Issue 18 item 6 in Chromium against the real services: the admin console for administrators, and nothing of
// it for anyone else.
let f: WebFixture;
let ipCounter = 0;

test.before(async () => {
  // user-service behind a front that can fail chosen requests: the console's error states.
  f = await startWebFixture({}, { frontUserService: true });
});

test.after.always(async () => {
  await f?.stop();
});

/** An account made straight at user-service (from its own address, so no per-IP limit is shared). */
function accountFor(prefix: string): Promise<Account> {
  ipCounter += 1;
  return registerAccount(
    f.users.url,
    `10.66.${Math.floor(ipCounter / 250)}.${ipCounter % 250}`,
    `${prefix}-${randomUUID().slice(0, 8)}@example.org`,
    `pw ${randomUUID()}`,
  );
}

/** Registers through the UI, gives the account the admin role (as `cli.ts make-admin` does) and reloads. */
async function adminPage(options: PageOptions = {}): Promise<{ page: Page; email: string }> {
  const page = await openPage(f, options);
  const { email } = await registerThroughUi(f, page);
  const user = await f.users.service.store.userByEmail(email);
  await f.users.service.store.updateAdminFields(user!.id, { role: 'admin' });
  // The page-load restore refreshes the session: the new access token carries the new role.
  await page.reload();
  await waitShowing(page, page.locator('cf-shell h1'), 'the signed-in shell after reloading');
  return { page, email };
}

async function openConsole(page: Page, path = '/admin'): Promise<void> {
  await page.goto(`${f.url}${path}`);
  await waitShowing(page, page.getByTestId('admin-user').first(), 'the accounts table', 20_000);
}

async function search(page: Page, text: string): Promise<void> {
  await page.locator('#admin-search').fill(text);
  await page.locator('#admin-search').press('Enter');
  await page.getByTestId('admin-user').first().filter({ hasText: text }).waitFor();
}

test('an administrator opens the console from the sidebar', async (t) => {
  const { page } = await adminPage();
  await page.locator('aside.sidebar').getByRole('link', { name: 'Administration' }).click();
  t.is(await heading(page, 'Administration'), 'Administration');
  await waitShowing(page, page.getByTestId('admin-user').first(), 'the accounts table');
  t.true((await page.getByTestId('admin-user').count()) >= 1);
  await page.context().close();
});

test('an administrator searches, disables an account, and sees it on the account’s audit trail', async (t) => {
  const target = await accountFor('target');
  const { page, email: adminEmail } = await adminPage();
  await openConsole(page);
  await search(page, target.email);
  t.is(await page.getByTestId('admin-user').count(), 1);
  const row = page.getByTestId('admin-user').first();
  await row.getByRole('button', { name: `Disable ${target.email}` }).click();
  const dialog = page.getByTestId('admin-confirm');
  await dialog.getByText(`Disable ${target.email}?`).waitFor();
  await dialog.getByRole('button', { name: 'Disable account' }).click();
  await page.locator('wa-toast-item', { hasText: `${target.email} is disabled.` }).waitFor();
  await row.getByText('Disabled', { exact: true }).waitFor();
  // The server agrees: the account's session ended and its login is refused.
  t.is((await call(f.url, 'GET', '/api/users/me', { token: target.accessToken })).status, 401);
  const login = await call(f.url, 'POST', '/api/auth/login', {
    body: { email: target.email, password: target.password },
  });
  t.is(login.status, 401);

  await row.getByRole('button', { name: target.email, exact: true }).click();
  t.is(await heading(page, target.email), target.email);
  const facts = page.getByTestId('admin-facts');
  await facts.getByText('Disabled', { exact: true }).waitFor();
  await facts.getByText('Email not verified').waitFor();
  await page.getByTestId('audit-event').first().waitFor();
  // Newest first: the refused login above, the administrator's change before it, the registration first of all.
  const events = await page.getByTestId('audit-event').allInnerTexts();
  t.is(events.length, 3);
  t.regex(events[0]!, /Login refused[\s\S]*account disabled/);
  t.regex(events[1]!, /Changed by an administrator[\s\S]*account disabled/);
  t.true(events[1]!.includes(adminEmail));
  t.regex(events[2]!, /Account created[\s\S]*The account itself/);
  // People read words, not internal names or ids.
  const text = await page.locator('main').innerText();
  t.false(text.includes(target.userId));
  t.false(/admin\.user-updated|login\.success|register\b/.test(text));
  await screenshot(page, 'admin-detail');
  await page.context().close();
});

test('signing an account out everywhere ends its sessions at the gateway at once', async (t) => {
  const target = await accountFor('signout');
  // The gateway accepts the token before: the refusal after comes from the revocation feed, not a bad token.
  t.is((await call(f.url, 'GET', '/api/users/me', { token: target.accessToken })).status, 200);
  const { page } = await adminPage();
  await openConsole(page);
  await search(page, target.email);
  await page.getByTestId('admin-user').first().getByRole('button', { name: target.email, exact: true }).click();
  await waitShowing(page, page.getByTestId('admin-facts'), 'the account detail');
  await page.getByTestId('admin-facts').getByText('Signed-in sessions').waitFor();
  await page
    .getByTestId('admin-detail')
    .getByRole('button', { name: `Sign out everywhere ${target.email}` })
    .click();
  await page.getByTestId('admin-confirm').getByRole('button', { name: 'Sign out everywhere' }).click();
  await page.locator('wa-toast-item', { hasText: `${target.email} is signed out everywhere.` }).waitFor();
  t.is((await call(f.url, 'GET', '/api/users/me', { token: target.accessToken })).status, 401);
  await page.getByTestId('audit-event').filter({ hasText: 'Signed out by an administrator' }).waitFor();
  t.regex(
    await page.getByTestId('audit-event').first().innerText(),
    /Signed out by an administrator[\s\S]*sessions ended: 1/,
  );
  // Not disabled: the account logs in again.
  const login = await call(f.url, 'POST', '/api/auth/login', {
    body: { email: target.email, password: target.password },
  });
  t.is(login.status, 200);
  await page.context().close();
});

test('the accounts table pages with its position and disables the pages it cannot reach', async (t) => {
  const tag = `page${randomUUID().slice(0, 6)}`;
  for (let i = 0; i < 21; i += 1) await accountFor(tag);
  const { page } = await adminPage();
  await openConsole(page);
  await search(page, tag);
  const position = page.getByTestId('position');
  t.is((await position.innerText()).trim(), 'Page 1 of 2 · 1–20 of 21');
  t.is(await page.getByTestId('admin-user').count(), 20);
  const previous = page.locator('nav.pager wa-button').first();
  const next = page.locator('nav.pager wa-button').last();
  t.true(await previous.evaluate((button) => button.hasAttribute('disabled')));
  t.false(await next.evaluate((button) => button.hasAttribute('disabled')));
  await next.click();
  await position.filter({ hasText: 'Page 2 of 2 · 21–21 of 21' }).waitFor();
  t.is(await page.getByTestId('admin-user').count(), 1);
  t.true(await next.evaluate((button) => button.hasAttribute('disabled')));
  t.false(await previous.evaluate((button) => button.hasAttribute('disabled')));
  await page.context().close();
});

test('a search without matches says so and offers every account', async (t) => {
  const { page } = await adminPage();
  await openConsole(page);
  await page.locator('#admin-search').fill(`nobody-${randomUUID()}`);
  await page.locator('#admin-search').press('Enter');
  await waitShowing(page, page.getByTestId('empty'), 'the empty state');
  await page.getByRole('button', { name: 'Show all accounts' }).click();
  await waitShowing(page, page.getByTestId('admin-user').first(), 'every account again');
  t.true((await page.getByTestId('admin-user').count()) > 0, 'the list shows accounts again');
  t.false(await page.getByTestId('empty').isVisible(), 'the empty state is gone');
  await page.context().close();
});

test.serial('a failed load shows what went wrong with Retry, and Retry loads the accounts', async (t) => {
  const { page } = await adminPage();
  // Serial: no other test's console may take this fault.
  f.front!.failNext('GET', '/admin/users', 1, 503);
  await page.goto(`${f.url}/admin`);
  const error = page.getByTestId('error');
  await waitShowing(page, error, 'the error state');
  t.true((await error.innerText()).includes('The service is temporarily unavailable'));
  await error.getByRole('button', { name: 'Retry' }).click();
  await waitShowing(page, page.getByTestId('admin-user').first(), 'the accounts after Retry');
  t.is(await page.getByTestId('error').count(), 0);
  await page.context().close();
});

test('a refused action is explained in its dialog, which stays open to try again', async (t) => {
  const target = await accountFor('refused');
  const { page } = await adminPage();
  await openConsole(page);
  await search(page, target.email);
  const row = page.getByTestId('admin-user').first();
  await row.getByRole('button', { name: `Disable ${target.email}` }).click();
  f.front!.failNext('PATCH', `/admin/users/${target.userId}`, 1, 503);
  const dialog = page.getByTestId('admin-confirm');
  await dialog.getByRole('button', { name: 'Disable account' }).click();
  await dialog.getByRole('alert').filter({ hasText: 'The service is temporarily unavailable' }).waitFor();
  await dialog.getByRole('button', { name: 'Disable account' }).click();
  await page.locator('wa-toast-item', { hasText: `${target.email} is disabled.` }).waitFor();
  t.is((await f.users.service.store.userById(target.userId))?.disabled, true);
  await page.context().close();
});

test('the console offers no action on the administrator’s own account', async (t) => {
  const { page, email } = await adminPage();
  await openConsole(page);
  await search(page, email);
  const row = page.getByTestId('admin-user').first();
  await row.getByText('This is you').waitFor();
  t.is(await row.getByRole('button', { name: /Disable|Make regular user|Sign out everywhere/ }).count(), 0);
  await page.context().close();
});

test('a user sees no console link, and its address shows a not-found page without asking the API', async (t) => {
  const page = await openPage(f);
  await registerThroughUi(f, page);
  const adminCalls: string[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.startsWith('/api/admin')) adminCalls.push(request.url());
  });
  t.is(await page.locator('aside.sidebar').getByRole('link', { name: 'Administration' }).count(), 0);
  await page.goto(`${f.url}/admin`);
  t.is(await heading(page, 'Page not found'), 'Page not found');
  t.is(await page.title(), 'Page not found · Content Factory');
  t.is(await page.getByTestId('admin-users').count(), 0);
  t.is(await page.locator('#admin-search').count(), 0);
  t.is(await page.locator('aside.sidebar').getByRole('link', { name: 'Administration' }).count(), 0);
  t.deepEqual(adminCalls, []);
  await page.context().close();
});

test(
  'the console, its account detail and its dialog have no serious axe violations and no sideways scroll, ' +
    'at 1280 and 375 px, in English and Russian',
  async (t) => {
    const target = await accountFor('audit');
    const problems: Record<string, unknown> = {};
    for (const width of [1280, 375]) {
      for (const locale of ['en-GB', 'ru-RU']) {
        const label = `${width}-${locale.slice(0, 2)}`;
        const { page } = await adminPage({ width, height: 800, locale, bypassCSP: true });
        const check = async (name: string) => {
          await page.waitForTimeout(250); // toasts and dialogs settle before the picture
          await screenshot(page, `admin-${name}-${label}`);
          if (await scrollsSideways(page)) problems[`${name} ${label} scrolls sideways`] = true;
          const found = await axeViolations(page);
          if (found.length > 0) problems[`${name} ${label}`] = found;
        };
        await openConsole(page);
        await search(page, target.email);
        await check('users');
        const row = page.getByTestId('admin-user').first();
        await row.getByRole('button', { name: target.email, exact: true }).click();
        await waitShowing(page, page.getByTestId('audit-event').first(), 'the audit trail');
        await check('detail');
        await page.getByTestId('admin-detail').locator('wa-button').first().click();
        await page.locator('wa-dialog[open] .dialog-actions wa-button').last().waitFor();
        await check('dialog');
        await page.context().close();
      }
    }
    t.deepEqual(problems, {});
  },
);
