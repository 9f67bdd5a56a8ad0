import test from 'ava';
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import type { WebFixture } from './fixture.ts';
import {
  auditPages,
  fieldError,
  focusedHeading,
  heading,
  logInThroughUi,
  openPage,
  registerThroughUi,
  waitShowing,
  webFixtureForFile,
} from './ui.ts';

// No integration-service here: the gateway answers every /api/telegram call with its real 5xx, which is
// how the error states are exercised.
let f: WebFixture;
webFixtureForFile(test, (started) => (f = started), {}, { frontUserService: true });

/** A marker on `window` survives client-side navigation and dies with a reload. */
async function markNoReload(page: Page): Promise<void> {
  await page.evaluate(() => ((window as unknown as { cfMarker: number }).cfMarker = 42));
}

async function stillSameDocument(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { cfMarker?: number }).cfMarker === 42);
}

test.serial('register, dashboard, logout and log in again, all without a reload', async (t) => {
  const page = await openPage(f);
  await page.goto(`${f.url}/login`);
  await markNoReload(page);
  await page.getByRole('link', { name: 'Create one' }).click();
  t.is(await heading(page, 'Create your account'), 'Create your account');
  const email = `flow-${randomUUID().slice(0, 8)}@example.org`;
  const password = `a flow password ${randomUUID().slice(0, 6)}`;
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(password);
  await page.locator('#confirm').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  t.is(await heading(page, 'Telegram accounts'), 'Telegram accounts');
  t.is(((await page.getByTestId('who').textContent()) ?? '').trim(), email);
  await page.getByRole('button', { name: 'Log out' }).click();
  t.is(await heading(page, 'Log in'), 'Log in');
  t.is(new URL(page.url()).pathname, '/login');
  await logInThroughUi(f, page, email, password);
  t.is(await heading(page, 'Telegram accounts'), 'Telegram accounts');
  t.true(await stillSameDocument(page), 'no page reload happened');
});

test.serial('a reload keeps the user logged in through the refresh cookie', async (t) => {
  const page = await openPage(f);
  await registerThroughUi(f, page);
  await page.reload();
  t.is(await heading(page, 'Telegram accounts'), 'Telegram accounts');
});

test.serial('logging out in one tab logs out the other', async (t) => {
  const first = await openPage(f);
  await registerThroughUi(f, first);
  const second = await first.context().newPage();
  await second.goto(`${f.url}/`);
  t.is(await heading(second, 'Telegram accounts'), 'Telegram accounts');
  await markNoReload(second);
  await first.getByRole('button', { name: 'Log out' }).click();
  await second.locator('cf-login-page h1').waitFor({ timeout: 5000 });
  t.true(await stillSameDocument(second));
});

test.serial('the login form explains what is wrong before asking the server, at the field', async (t) => {
  const page = await openPage(f);
  await page.goto(`${f.url}/login`);
  await page.getByRole('button', { name: 'Log in' }).click();
  t.is(await fieldError(page, 'email'), 'Enter your email address.');
  t.is(await fieldError(page, 'password'), 'Enter your password.');
  t.is(await page.locator('#email').getAttribute('aria-invalid'), 'true');
  t.regex((await page.locator('#email').getAttribute('aria-describedby')) ?? '', /\bemail-error\b/);
  t.is(await page.evaluate(() => document.activeElement?.id), 'email', 'focus moves to the first invalid field');
  await page.locator('#email').fill('not-an-email');
  await page.getByRole('button', { name: 'Log in' }).click();
  t.is(await fieldError(page, 'email'), 'Enter an email address like name@example.org.');
});

test.serial('registration asks for a matching confirmation and rates the password while typing', async (t) => {
  const page = await openPage(f);
  await page.goto(`${f.url}/register`);
  await page.locator('#email').fill(`v-${randomUUID().slice(0, 6)}@example.org`);
  await page.locator('#password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  t.is(await fieldError(page, 'password'), 'Use at least 8 characters.');
  await page.locator('#password').fill('correct horse battery staple 42');
  await page
    .getByTestId('strength')
    .filter({ hasText: /Good|Strong/ })
    .waitFor();
  await page.locator('#confirm').fill('something else');
  await page.getByRole('button', { name: 'Create account' }).click();
  t.is(await fieldError(page, 'confirm'), 'The passwords do not match.');
  t.is(await page.locator('#confirm').getAttribute('aria-invalid'), 'true');
  await page.locator('#password').fill('password');
  await page.getByTestId('strength').filter({ hasText: 'Very weak' }).waitFor();
  t.is(await page.locator('.strength').getAttribute('data-score'), '0', 'the meter drops with the label');
});

test.serial('the server’s refusal of a common password sits at the password field, once, in plain words', async (t) => {
  const page = await openPage(f);
  await page.goto(`${f.url}/register`);
  await page.locator('#email').fill(`c-${randomUUID().slice(0, 6)}@example.org`);
  await page.locator('#password').fill('password123');
  await page.locator('#confirm').fill('password123');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.locator('#password-error').filter({ hasText: 'too common' }).waitFor();
  t.is(await page.locator('#password').getAttribute('aria-invalid'), 'true');
  const text = await page.locator('main').innerText();
  t.notRegex(text, /request body is invalid/i, 'no raw server string above the field');
});

test.serial('a wrong password is explained by the catalogue, not the server’s words', async (t) => {
  const page = await openPage(f);
  const { email } = await registerThroughUi(f, page);
  await page.getByRole('button', { name: 'Log out' }).click();
  await logInThroughUi(f, page, email, 'not the password');
  const formError = page.locator('.form-error .error-text');
  await formError.waitFor();
  t.is((await formError.innerText()).trim(), 'The email or password is incorrect.');
});

test.serial('the password can be shown and hidden again', async (t) => {
  const page = await openPage(f);
  await page.goto(`${f.url}/login`);
  const input = page.locator('#password');
  t.is(await input.getAttribute('type'), 'password');
  await page.getByRole('button', { name: 'Show password' }).click();
  t.is(await input.getAttribute('type'), 'text');
  await page.getByRole('button', { name: 'Hide password' }).click();
  t.is(await input.getAttribute('type'), 'password');
});

test.serial('a failed accounts load shows human text and Retry, never a false empty state', async (t) => {
  const page = await openPage(f);
  await registerThroughUi(f, page);
  const error = page.getByTestId('error');
  await error.waitFor();
  const text = await error.innerText();
  t.regex(text, /temporarily unavailable/);
  t.notRegex(text, /integration-service|upstream/i, 'no internal service names');
  t.is(await page.getByTestId('empty').count(), 0, 'no "No Telegram account connected yet"');
  await page.getByRole('button', { name: 'Retry' }).click();
  await error.waitFor();
  t.is(await page.getByTestId('empty').count(), 0);
});

test.serial(
  'on a narrow screen the menu is a modal drawer: focus inside, Tab trapped, Escape closes, focus returns',
  async (t) => {
    const page = await openPage(f, { width: 375, height: 740 });
    await registerThroughUi(f, page);
    t.false(await page.locator('aside.sidebar').isVisible());
    const who = page.getByTestId('who');
    t.true(await who.isVisible(), 'the top bar shows who is signed in');
    const menu = page.getByRole('button', { name: 'Open menu' });
    await menu.focus();
    await page.keyboard.press('Enter');
    const drawer = page.locator('wa-drawer');
    await page.waitForFunction(() => document.querySelector('wa-drawer')?.hasAttribute('open') === true);
    await page.getByRole('link', { name: 'Integration log' }).waitFor({ state: 'visible' });
    // A native modal lets Tab leave for the browser's own controls (document.body meanwhile), never for the
    // page behind it.
    const insideDrawer = () =>
      page.evaluate(
        () => document.activeElement === document.body || document.activeElement?.closest('wa-drawer') !== null,
      );
    await page.waitForFunction(() => document.activeElement?.closest('wa-drawer') !== null);
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      t.true(await insideDrawer(), `Tab ${i + 1} stays in the drawer`);
    }
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.querySelector('wa-drawer')?.hasAttribute('open'));
    await page.waitForFunction(() => document.activeElement?.closest('.menu-button') !== null);
    t.false(await drawer.evaluate((element) => element.hasAttribute('open')));
    // Choosing a page closes it and lands focus on that page's heading.
    await menu.click();
    await page.getByRole('link', { name: 'Integration log' }).click();
    t.is(await heading(page, 'Integration log'), 'Integration log');
    await page.waitForFunction(() => !document.querySelector('wa-drawer')?.hasAttribute('open'));
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
    t.is(await focusedHeading(page), 'Integration log');
  },
);

test.serial('on a wide screen the sidebar is always open', async (t) => {
  const page = await openPage(f);
  await registerThroughUi(f, page);
  t.true(await page.locator('aside.sidebar').isVisible());
  t.false(await page.getByRole('button', { name: 'Open menu' }).isVisible());
});

test.serial('a skip link is the first stop and navigation moves focus to the page heading', async (t) => {
  const page = await openPage(f);
  await registerThroughUi(f, page);
  await page.reload();
  await heading(page, 'Telegram accounts');
  await page.keyboard.press('Tab');
  t.is(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Skip to main content');
  await page.keyboard.press('Enter');
  t.is(await page.evaluate(() => document.activeElement?.id), 'main');
  await page.getByRole('link', { name: 'Error statistics' }).click();
  t.is(await heading(page, 'Error statistics'), 'Error statistics');
  await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
  t.is(await focusedHeading(page), 'Error statistics');
});

test.serial('a page-load refresh answered 503 once is retried and the user stays signed in', async (t) => {
  const page = await openPage(f);
  await registerThroughUi(f, page);
  const before = f.front!.faulted;
  f.front!.failNext('POST', '/auth/refresh', 1, 503, 1);
  await page.reload();
  t.is(await heading(page, 'Telegram accounts'), 'Telegram accounts');
  t.is(f.front!.faulted - before, 1, 'the gateway answered the first refresh with 503');
});

test.serial(
  'a server that keeps failing the page-load refresh gets an error with Retry, not the login form',
  async (t) => {
    const page = await openPage(f);
    await registerThroughUi(f, page);
    // The first try and all three retries (each waiting the 1 s Retry-After).
    f.front!.failNext('POST', '/auth/refresh', 4, 503, 1);
    await page.reload();
    t.is(await heading(page, 'Content Factory cannot be reached'), 'Content Factory cannot be reached');
    t.is(await page.getByRole('heading', { name: 'Log in' }).count(), 0);
    await page.getByRole('button', { name: 'Retry' }).click();
    t.is(await heading(page, 'Telegram accounts'), 'Telegram accounts', 'the session was never lost');
  },
);

test.serial('a heading that does not come fails naming the heading the page shows instead', async (t) => {
  const page = await openPage(f);
  await page.goto(`${f.url}/login`);
  await heading(page, 'Log in');
  const error = await t.throwsAsync(waitShowing(page, page.locator('h1', { hasText: 'Nowhere' }), 'Nowhere', 500));
  t.regex(error.message, /the page shows heading "Log in" at \/login/);
});

test.serial('after logout Back never shows a private page, and login returns to the page asked for', async (t) => {
  const page = await openPage(f);
  const { email, password } = await registerThroughUi(f, page);
  await page.locator('aside.sidebar').getByRole('link', { name: 'Integration log' }).click();
  t.is(await heading(page, 'Integration log'), 'Integration log');
  await page.getByRole('button', { name: 'Log out' }).click();
  t.is(await heading(page, 'Log in'), 'Log in');
  await page.goBack();
  await page.waitForTimeout(300);
  t.is(new URL(page.url()).pathname, '/login');
  t.is(await page.locator('cf-shell').count(), 0, 'no private page rendered');
  await page.goto(`${f.url}/stats`);
  t.is(await heading(page, 'Log in'), 'Log in');
  await logInThroughUi(f, page, email, password);
  t.is(await heading(page, 'Error statistics'), 'Error statistics');
  t.is(new URL(page.url()).pathname, '/stats');
});

test.serial('the theme follows the system and the toggle overrides it', async (t) => {
  const page = await openPage(f, { scheme: 'dark' });
  await page.goto(`${f.url}/login`);
  await heading(page, 'Log in');
  const dark = () => page.evaluate(() => document.documentElement.classList.contains('wa-dark'));
  t.true(await dark(), 'system dark → dark');
  await page.getByTestId('theme-toggle').click(); // system → light
  t.false(await dark());
  await page.reload();
  await heading(page, 'Log in');
  t.false(await dark(), 'the choice is remembered');
  await page.getByTestId('theme-toggle').click(); // light → dark
  t.true(await dark());
});

test.serial('the language follows the browser and can be switched', async (t) => {
  const page = await openPage(f, { locale: 'ru-RU' });
  await page.goto(`${f.url}/login`);
  await page.locator('h1', { hasText: 'Войти' }).waitFor();
  t.is(await page.evaluate(() => document.documentElement.lang), 'ru');
  await page.getByTestId('language').selectOption('en');
  t.is(await heading(page, 'Log in'), 'Log in');
  await page.reload();
  t.is(await heading(page, 'Log in'), 'Log in', 'the choice is remembered');
});

for (const width of [1280, 375]) {
  test.serial(
    `every sign-in and error page: axe clean, no sideways scroll, screenshots — ${width} px, both themes and languages`,
    async (t) => {
      const problems: Record<string, unknown> = {};
      for (const scheme of ['light', 'dark'] as const) {
        for (const locale of ['en-GB', 'ru-RU']) {
          const page = await openPage(f, { width, scheme, locale, bypassCSP: true });
          const label = `${scheme}-${locale.slice(0, 2)}`;
          const signedOut = await auditPages(
            f,
            page,
            [
              { name: 'login', path: '/login', ready: (p) => p.locator('h1').waitFor() },
              { name: 'register', path: '/register', ready: (p) => p.locator('h1').waitFor() },
            ],
            label,
          );
          await registerThroughUi(f, page);
          const signedIn = await auditPages(
            f,
            page,
            [{ name: 'accounts-error', path: '/', ready: (p) => p.getByTestId('error').waitFor() }],
            label,
          );
          for (const result of [signedOut, signedIn]) {
            for (const [name, found] of Object.entries(result.violations)) problems[`${name} ${label}`] = found;
            for (const name of result.sideways) problems[`${name} ${label} scrolls sideways`] = true;
          }
          await page.context().close();
        }
      }
      t.deepEqual(problems, {});
    },
  );
}
