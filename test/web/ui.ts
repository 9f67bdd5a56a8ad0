import { randomUUID } from 'node:crypto';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import type { TestFn } from 'ava';
import { axeViolations, screenshot, startWebFixture, type WebFixture } from './fixture.ts';

export interface PageOptions {
  width?: number;
  height?: number;
  /** The system setting the theme follows. */
  scheme?: 'light' | 'dark';
  /** The browser language the UI chooses from. */
  locale?: string;
  /** Only the axe runs bypass the UI's Content-Security-Policy, to inject axe-core itself. */
  bypassCSP?: boolean;
}

/** The browser contexts openPage made in this test file that are still open. */
const contexts = new Set<BrowserContext>();

export async function openPage(f: WebFixture, options: PageOptions = {}): Promise<Page> {
  const context = await f.chromium.browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    colorScheme: options.scheme ?? 'light',
    locale: options.locale ?? 'en-GB',
    ...(options.bypassCSP === true ? { bypassCSP: true } : {}),
  });
  contexts.add(context);
  context.on('close', () => contexts.delete(context));
  return context.newPage();
}

/**
 * Closes the pages a test opened. A file of serial tests runs it after each (`test.afterEach.always(closePages)`),
 * so that every test ends its pages, passed or failed; a file with concurrent tests closes its own.
 */
export async function closePages(): Promise<void> {
  await Promise.all([...contexts].map((context) => context.close()));
}

/**
 * The web fixture of a file of serial tests: started before the first test, each test's pages closed after it
 * (passed or failed), stopped after the last. `started` hands the fixture to the file's tests.
 */
export function webFixtureForFile(
  test: TestFn,
  started: (fixture: WebFixture) => void,
  ...options: Parameters<typeof startWebFixture>
): void {
  let fixture: WebFixture | undefined;
  test.before(async () => {
    fixture = await startWebFixture(...options);
    started(fixture);
  });
  test.afterEach.always(closePages);
  test.after.always(async () => {
    await fixture?.stop();
  });
}

export async function registerThroughUi(f: WebFixture, page: Page): Promise<{ email: string; password: string }> {
  const email = `ui-${randomUUID().slice(0, 8)}@example.org`;
  const password = `ui password ${randomUUID().slice(0, 8)}`;
  await page.goto(`${f.url}/register`);
  await page.locator('#email').fill(email);
  await page.locator('#displayName').fill('Ada');
  await page.locator('#password').fill(password);
  await page.locator('#confirm').fill(password);
  await page.locator('#confirm').press('Enter');
  await shellShowing(page, 'the signed-in shell after registering');
  return { email, password };
}

export async function logInThroughUi(f: WebFixture, page: Page, email: string, password: string): Promise<void> {
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(password);
  await page.locator('#password').press('Enter');
}

/** The text of a field's error, without the icon. */
export async function fieldError(page: Page, id: string): Promise<string> {
  return ((await page.locator(`#${id}-error`).textContent()) ?? '').trim();
}

export async function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
}

export async function focusedHeading(page: Page): Promise<string | undefined> {
  return page.evaluate(() =>
    document.activeElement?.tagName === 'H1' ? (document.activeElement.textContent ?? '').trim() : undefined,
  );
}

/** What the page shows instead, for a failed wait: its headings (or none) and its path. */
export async function whatPageShows(page: Page): Promise<string> {
  const headings = await page
    .locator('h1')
    .allTextContents()
    .catch(() => [] as string[]);
  const shown = headings.map((text) => JSON.stringify(text.trim())).join(', ');
  const path = page.isClosed() ? '(closed)' : new URL(page.url()).pathname;
  return `the page shows ${shown === '' ? 'no heading' : `heading ${shown}`} at ${path}`;
}

/** Waits for `locator`; on timeout the error names what was awaited and what the page showed instead. */
export async function waitShowing(page: Page, locator: Locator, what: string, timeout = 10_000): Promise<void> {
  try {
    await locator.waitFor({ timeout });
  } catch (error) {
    throw new Error(`${what} did not appear within ${timeout / 1000} s; ${await whatPageShows(page)}`, {
      cause: error,
    });
  }
}

/** Waits for the signed-in shell; a login or a registration may take long on a busy machine. */
export async function shellShowing(page: Page, what = 'the signed-in shell'): Promise<void> {
  await waitShowing(page, page.locator('cf-shell h1'), what, 30_000);
}

/**
 * Waits for the page heading reading `expected` and returns what it reads; when it does not come, fails
 * saying which heading the page showed instead (e.g. "Log in" after a refresh that could not get through).
 */
export async function heading(page: Page, expected: string): Promise<string> {
  const h1 = page.locator('h1[data-page-heading]').filter({ hasText: new RegExp(`^\\s*${expected}\\s*$`) });
  await waitShowing(page, h1.first(), `the heading "${expected}"`);
  return ((await h1.first().textContent()) ?? '').trim();
}

/**
 * For each path: waits for `ready`, saves a screenshot named by page, theme and width, checks that the
 * page does not scroll sideways and collects axe's serious/critical violations.
 */
export async function auditPages(
  f: WebFixture,
  page: Page,
  pages: { name: string; path: string; ready: (page: Page) => Promise<void> }[],
  label: string,
): Promise<{ violations: Record<string, unknown[]>; sideways: string[] }> {
  const violations: Record<string, unknown[]> = {};
  const sideways: string[] = [];
  for (const entry of pages) {
    await page.goto(`${f.url}${entry.path}`);
    await entry.ready(page);
    await page.waitForTimeout(250); // toasts and drawers settle before the picture
    await screenshot(page, `${entry.name}-${label}`);
    if (await scrollsSideways(page)) sideways.push(entry.name);
    const found = await axeViolations(page);
    if (found.length > 0) violations[entry.name] = found;
  }
  return { violations, sideways };
}
