import test from 'ava';
import type { Page } from 'playwright-core';
import { screenshot, type WebFixture } from './fixture.ts';
import {
  auditPages,
  fieldError,
  logInThroughUi,
  openPage,
  registerThroughUi,
  shellShowing,
  waitShowing,
  webFixtureForFile,
  type PageOptions,
} from './ui.ts';
import { connectByKeyboard } from './telegram-steps.ts';

// The publishing pages in Chromium against the real services in demo mode: integration-service's scripted
// Telegram fake gives a freshly connected account three demo channels of its own, and its fake Bot API
// accepts any well-formed token of 6–12 digits (services/integration-service/src/bots/fake-bot-api.ts).

let f: WebFixture;
webFixtureForFile(test, (started) => (f = started), {}, { telegramDemo: true });

/** A token the demo Bot API knows (6–12 digits, then 30–50 characters). */
const GOOD_TOKEN = `734512098:${'AAHk2-demoTokenForTheWebTest_x'.padEnd(35, 'q')}`;
/** Well-formed for the API, unknown to the Bot API (5 digits): getMe answers 401. */
const BAD_TOKEN = `12345:${'unknownTokenOfNoBotAtAll_'.padEnd(35, 'z')}`;

let phones = 0;

/** Registers, connects a demo account by phone and returns the signed-in page. */
async function connectedPage(options: PageOptions = {}): Promise<{ page: Page; email: string; password: string }> {
  const page = await openPage(f, options);
  const { email, password } = await registerThroughUi(f, page);
  phones += 1;
  // Demo phones ending in 2 ask for a two-step password: these end in 1.
  await connectByKeyboard(f, page, `+44 7700 9${String(phones).padStart(4, '0')}1`);
  return { page, email, password };
}

/** Manages the account's first available demo channel on the Channels page. */
async function manageFirstChannel(page: Page): Promise<void> {
  await page.goto(`${f.url}/channels`);
  await page.getByRole('button', { name: /Find channels|Найти каналы/ }).click();
  await waitShowing(page, page.getByTestId('available-chat').first(), 'the available channels', 20_000);
  await page
    .getByTestId('available-chat')
    .first()
    .getByRole('button', { name: /Manage|Управлять/ })
    .click();
  await waitShowing(page, page.getByTestId('channel').first(), 'a managed channel', 20_000);
}

async function addBot(page: Page, token: string): Promise<void> {
  await page.goto(`${f.url}/bots`);
  await page.locator('#token').fill(token);
  await page.locator('#token').press('Enter');
}

/** The browser's local wall-clock time `seconds` from now, as a datetime-local value. */
function localIn(page: Page, seconds: number): Promise<string> {
  return page.evaluate((ahead) => {
    const at = new Date(Date.now() + ahead * 1000);
    const pad = (n: number) => String(n).padStart(2, '0');
    return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
  }, seconds);
}

async function schedule(page: Page, text: string, secondsAhead: number): Promise<void> {
  await page.goto(`${f.url}/posts`);
  await waitShowing(page, page.getByTestId('target').first(), 'a target channel in the composer', 20_000);
  await page.locator('#post-text').fill(text);
  await page.getByTestId('target').first().getByRole('checkbox').check();
  await page.getByRole('radio', { name: 'Schedule' }).check();
  await page.locator('#post-at').fill(await localIn(page, secondsAhead));
  await page.getByRole('button', { name: 'Schedule post' }).click();
  await page.locator('wa-toast-item', { hasText: 'The post is scheduled' }).waitFor();
}

test.serial('a freshly connected demo account finds its channels and manages one, which can post', async (t) => {
  const { page } = await connectedPage();
  await manageFirstChannel(page);
  t.is(await page.getByTestId('channel').count(), 1);
  t.is((await page.getByTestId('channel-state').first().innerText()).trim(), 'Can post');
  await page.locator('wa-toast-item', { hasText: 'is managed now.' }).waitFor();
  await screenshot(page, 'channels');
});

test.serial('a bad bot token is refused at its field and never shown again; a good one is listed', async (t) => {
  const { page } = await connectedPage();
  await manageFirstChannel(page);
  await addBot(page, BAD_TOKEN);
  await page.locator('#token-error').filter({ hasText: 'Telegram does not know this bot token.' }).waitFor();
  t.is(await page.locator('#token').getAttribute('aria-invalid'), 'true');
  t.is(await page.locator('#token').getAttribute('type'), 'password');
  t.is(await page.locator('#token').inputValue(), '', 'the refused token is not kept in the field');
  t.false((await page.content()).includes(BAD_TOKEN.split(':')[1]!), 'the token is nowhere in the page');
  await page.locator('#token').fill(GOOD_TOKEN);
  await page.locator('#token').press('Enter');
  await waitShowing(page, page.getByTestId('bot').first(), 'the added bot', 20_000);
  t.regex(await page.getByTestId('bot').first().innerText(), /@demo_734512098_bot/);
  await waitShowing(page, page.getByTestId('bot-right').first(), 'the bot’s rights in the managed channel', 20_000);
  t.regex(await page.getByTestId('bot-right').first().innerText(), /May post/);
  t.false((await page.content()).includes(GOOD_TOKEN.split(':')[1]!), 'the token is nowhere in the page');
});

test.serial('bold and a link show in the live preview as formatting, and markup-like text stays text', async (t) => {
  const { page } = await connectedPage();
  await manageFirstChannel(page);
  await page.goto(`${f.url}/posts`);
  await page.locator('#post-text').fill('**Hello** see [our site](https://example.org) <img src=x onerror=alert(1)>');
  const preview = page.getByTestId('preview');
  t.is((await preview.locator('strong').innerText()).trim(), 'Hello');
  t.is(await preview.locator('a').getAttribute('href'), 'https://example.org');
  t.is((await preview.locator('a').innerText()).trim(), 'our site');
  t.is(await preview.locator('img').count(), 0, 'the user’s text is never parsed as HTML');
  t.regex(await preview.innerText(), /<img src=x onerror=alert\(1\)>/);
  t.false((await preview.innerText()).includes('**'));
});

test.serial('a post scheduled a few seconds ahead is listed as sent with its t.me link', async (t) => {
  const { page } = await connectedPage();
  await manageFirstChannel(page);
  await schedule(page, '**Launch** day', 4);
  const target = page.getByTestId('post-target').first();
  t.regex(await target.getAttribute('data-state').then(String), /scheduled|sending|sent/);
  await waitShowing(page, page.locator('[data-testid="post-target"][data-state="sent"]'), 'the sent state', 40_000);
  const link = page.getByTestId('post-link').first();
  t.regex((await link.getAttribute('href')) ?? '', /^https:\/\/t\.me\/.+\/\d+$/);
  t.is((await page.locator('[data-testid="post"] .post-text strong').first().innerText()).trim(), 'Launch');
  await screenshot(page, 'posts-sent');
});

test.serial('a scheduled post is cancelled through a confirm dialog and leaves the list', async (t) => {
  const { page } = await connectedPage();
  await manageFirstChannel(page);
  await schedule(page, 'Not today', 3600);
  await waitShowing(page, page.getByTestId('post').first(), 'the scheduled post');
  await page.getByRole('button', { name: 'Cancel post' }).first().click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  t.is(await page.locator('wa-dialog[open]').getAttribute('label'), 'Cancel this post?');
  await page.locator('wa-dialog[open]').getByRole('button', { name: 'Cancel post' }).click();
  await page.locator('wa-toast-item', { hasText: 'The post is cancelled.' }).waitFor();
  await waitShowing(page, page.getByTestId('empty'), 'the empty list with its next action');
  t.is(await page.getByTestId('post').count(), 0);
});

test.serial('a scheduled post is edited in the composer, its formatting kept, until it is sent', async (t) => {
  const { page } = await connectedPage();
  await manageFirstChannel(page);
  await schedule(page, '**Draft** text', 3600);
  await waitShowing(page, page.getByTestId('post').first(), 'the scheduled post');
  await page.getByTestId('post').first().getByRole('button', { name: 'Edit' }).click();
  t.is(await page.locator('#post-text').inputValue(), '**Draft** text', 'the markup comes back from the entities');
  await page.locator('#post-text').fill('**Final** text');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.locator('wa-toast-item', { hasText: 'The post is changed.' }).waitFor();
  await page.locator('[data-testid="post"] .post-text strong', { hasText: 'Final' }).waitFor();
  t.is(await page.getByTestId('post').count(), 1);
});

test.serial('a target whose bot was removed fails with its reason and offers Retry', async (t) => {
  const { page } = await connectedPage();
  await manageFirstChannel(page);
  await addBot(page, GOOD_TOKEN);
  await waitShowing(page, page.getByTestId('bot').first(), 'the added bot', 20_000);
  await page.goto(`${f.url}/posts`);
  await waitShowing(page, page.getByTestId('target').first(), 'a target channel in the composer', 20_000);
  await page.locator('#post-text').fill('Via the bot');
  const target = page.getByTestId('target').first();
  await target.getByRole('checkbox').check();
  await target.getByRole('combobox').selectOption({ label: 'Via @demo_734512098_bot' });
  await page.getByRole('radio', { name: 'Schedule' }).check();
  await page.locator('#post-at').fill(await localIn(page, 8));
  await page.getByRole('button', { name: 'Schedule post' }).click();
  await page.locator('wa-toast-item', { hasText: 'The post is scheduled' }).waitFor();
  await page.goto(`${f.url}/bots`);
  await page
    .getByTestId('bot')
    .first()
    .getByRole('button', { name: /Remove/ })
    .click();
  await page.locator('wa-dialog[open]').getByRole('button', { name: 'Remove' }).click();
  await page.locator('wa-toast-item', { hasText: 'is removed.' }).waitFor();
  await page.goto(`${f.url}/posts`);
  const failed = page.locator('[data-testid="post-target"][data-state="failed"]');
  await waitShowing(page, failed, 'the failed state', 40_000);
  t.regex(await failed.innerText(), /The bot is no longer available\./);
  await failed.getByRole('button', { name: 'Retry' }).click();
  const retried = page.locator('wa-toast-item', { hasText: 'Sending again.' });
  await retried.waitFor();
  t.regex(await retried.innerText(), /Sending again\./);
});

test.serial('an image over 10 MB is refused with words saying so', async (t) => {
  const { page } = await connectedPage();
  await page.goto(`${f.url}/posts`);
  await page.locator('#post-images').waitFor();
  await page.locator('#post-images').setInputFiles({
    name: 'huge.png',
    mimeType: 'image/png',
    buffer: Buffer.alloc(11 * 1024 * 1024, 1),
  });
  const error = page.getByTestId('upload-error');
  await waitShowing(page, error, 'the image’s error', 30_000);
  t.is((await error.innerText()).trim(), 'This image is larger than 10 MB. Choose a smaller one.');
});

for (const width of [1280, 375]) {
  test.serial(
    `Channels, Bots and Posts: axe clean, no sideways scroll — ${width} px, both themes and languages`,
    async (t) => {
      const { page: setup, email, password } = await connectedPage({ width });
      await manageFirstChannel(setup);
      await addBot(setup, GOOD_TOKEN);
      await waitShowing(setup, setup.getByTestId('bot').first(), 'the added bot', 20_000);
      await schedule(setup, '**Audit** [link](https://example.org)', 3600);
      await setup.context().close();
      const problems: Record<string, unknown> = {};
      for (const scheme of ['light', 'dark'] as const) {
        for (const locale of ['en-GB', 'ru-RU']) {
          const page = await openPage(f, { width, scheme, locale, bypassCSP: true });
          await page.goto(`${f.url}/login`);
          await logInThroughUi(f, page, email, password);
          await shellShowing(page);
          const label = `${scheme}-${locale.slice(0, 2)}`;
          const result = await auditPages(
            f,
            page,
            [
              { name: 'channels', path: '/channels', ready: (p) => p.getByTestId('channel').first().waitFor() },
              { name: 'bots', path: '/bots', ready: (p) => p.getByTestId('bot-right').first().waitFor() },
              { name: 'posts', path: '/posts', ready: (p) => p.getByTestId('post').first().waitFor() },
            ],
            label,
          );
          for (const [name, found] of Object.entries(result.violations)) problems[`${name} ${label}`] = found;
          for (const name of result.sideways) problems[`${name} ${label} scrolls sideways`] = true;
          await page.context().close();
        }
      }
      t.deepEqual(problems, {});
    },
  );
}

test.serial('the token field error is tied to its field for screen readers', async (t) => {
  const { page } = await connectedPage();
  await addBot(page, BAD_TOKEN);
  await page.locator('#token-error').filter({ hasText: 'bot token' }).waitFor();
  t.regex((await page.locator('#token').getAttribute('aria-describedby')) ?? '', /token-error/);
  t.regex(await fieldError(page, 'token'), /Copy it again from @BotFather/);
});
