import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { startChromium, type ChromiumHandle } from '../support/chromium.ts';
import type { GatewayHandle } from '../api-gateway/fixture.ts';
import { startPlatform } from '../api-contract/platform.ts';
import { startFaultFront, type FaultFront } from './fault-front.ts';
import { scratchDir, stopIfFails } from '../support/process.ts';
import type { UserServiceFixture } from '../user-service/fixture.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const ARTIFACTS = join(root, 'test-results', 'web');

export interface WebFixture {
  /** `http://localhost:<port>`: the UI and the API on one origin, as in production. */
  url: string;
  chromium: ChromiumHandle;
  users: UserServiceFixture;
  gateway: GatewayHandle;
  integration: { url: string } | undefined;
  /** Between the gateway and user-service, for injecting its failures (`frontUserService`). */
  front: FaultFront | undefined;
  stop(): Promise<void>;
}

/**
 * Builds the UI, starts the platform (user-service, optionally integration-service in demo mode — the
 * scripted Telegram fake — and the gateway serving the UI), and Chromium.
 */
export async function startWebFixture(
  env: Record<string, string> = {},
  options: {
    telegramDemo?: boolean;
    buildUi?: boolean;
    frontUserService?: boolean;
    /** user-service / integration-service settings beyond the platform's (e.g. SMTP, captcha). */
    userService?: Record<string, string>;
    integrationService?: Record<string, string>;
  } = {},
): Promise<WebFixture> {
  // Each fixture serves a build of its own: test files run side by side, and a rebuild of one shared dist/ emptied
  // it under another file's browser (its pages then never showed their heading).
  const webRoot = options.buildUi !== false ? buildUi() : join(root, 'services/web/dist');
  mkdirSync(ARTIFACTS, { recursive: true });
  let front: FaultFront | undefined;
  const platform = await startPlatform({
    telegramDemo: options.telegramDemo === true,
    gateway: { WEB_ROOT: webRoot, ...env },
    ...(options.userService !== undefined ? { userService: options.userService } : {}),
    ...(options.integrationService !== undefined ? { integrationService: options.integrationService } : {}),
    ...(options.frontUserService === true
      ? {
          frontUserService: async (url: string) => {
            front = await startFaultFront(url);
            return front.url;
          },
        }
      : {}),
  });
  const chromium = await stopIfFails([platform, { stop: () => front?.close() }], startChromium);
  return {
    url: platform.url,
    chromium,
    users: platform.users,
    gateway: platform.gateway,
    integration: platform.integration,
    front,
    async stop() {
      await chromium.close();
      await platform.stop();
      await front?.close();
    },
  };
}

/** The production build of the UI into a directory of its own (a harness scratch directory); its path. */
export function buildUi(): string {
  const outDir = join(scratchDir('web-dist'), 'dist');
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules/vite/bin/vite.js'),
      'build',
      join(root, 'services/web'),
      '--outDir',
      outDir,
      '--emptyOutDir',
      '--logLevel',
      'warn',
    ],
    { cwd: root },
  );
  return outDir;
}

/** Screenshots as test artifacts, named by page and width. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const width = page.viewportSize()?.width ?? 0;
  await page.screenshot({ path: join(ARTIFACTS, `${name}-${width}.png`), fullPage: true });
}

/** axe-core in the page; returns the serious and critical violations. */
export async function axeViolations(
  page: Page,
): Promise<{ id: string; impact: string; help: string; nodes: number }[]> {
  await page.addScriptTag({ path: join(root, 'node_modules/axe-core/axe.min.js') });
  return page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run: (
            context: Document,
            options: object,
          ) => Promise<{ violations: { id: string; impact: string; help: string; nodes: unknown[] }[] }>;
        };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map((violation) => ({
        id: violation.id,
        impact: violation.impact,
        help: violation.help,
        nodes: violation.nodes.length,
      }));
  });
}
