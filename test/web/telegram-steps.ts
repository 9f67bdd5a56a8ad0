import type { Page } from 'playwright-core';
import type { WebFixture } from './fixture.ts';
import { waitShowing } from './ui.ts';

// Connecting a Telegram account through the UI, against integration-service in demo mode
// (services/integration-service/src/demo.ts): the code is always 12345, and numbers ending in 2 ask for a
// two-step password.

/** Opens a section from the sidebar and waits for its heading. */
export async function openSection(page: Page, name: string): Promise<void> {
  await page.locator('aside.sidebar').getByRole('link', { name }).click();
  await page.locator('h1', { hasText: name }).waitFor();
}

/** Asks for a code for `phone` on the phone page, up to the step that says how it was sent. */
export async function sendCode(page: Page, phone: string): Promise<void> {
  await openSection(page, 'Connect by phone');
  await page.locator('#phone').fill(phone);
  await page.getByRole('button', { name: 'Send code' }).click();
  await page.getByTestId('code-type').waitFor();
}

export async function pressConnect(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
}

/** Enters a code (the fake's own by default) and presses Connect. */
export async function enterCode(page: Page, code = '12345'): Promise<void> {
  await page.locator('#code').fill(code);
  await pressConnect(page);
}

/** Connects `phone` through the sidebar and the buttons. */
export async function connectByPhone(page: Page, phone: string): Promise<void> {
  await sendCode(page, phone);
  await enterCode(page);
  await page.locator('.success-card').waitFor();
}

/** Connects `phone` on the phone page with the keyboard alone: Enter sends the number, then the code. */
export async function connectByKeyboard(f: WebFixture, page: Page, phone: string): Promise<void> {
  await page.goto(`${f.url}/connect/phone`);
  await page.locator('#phone').fill(phone);
  await page.locator('#phone').press('Enter');
  await waitShowing(page, page.locator('#code'), 'the code step', 30_000);
  await page.locator('#code').fill('12345');
  await page.locator('#code').press('Enter');
  await waitShowing(page, page.locator('.success-card'), 'the connected card', 30_000);
}
