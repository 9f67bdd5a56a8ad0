import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { startChromium, type ChromiumHandle } from '../support/chromium.ts';
import { freePort } from '../support/process.ts';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.ts';
import { startGateway, type GatewayHandle } from '../api-gateway/fixture.ts';
import { startUserServiceFixture, type UserServiceFixture } from '../user-service/fixture.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const ARTIFACTS = join(root, 'test-results', 'web');

export interface WebFixture {
  /** `http://localhost:<port>`: the UI and the API on one origin, as in production. */
  url: string;
  chromium: ChromiumHandle;
  users: UserServiceFixture;
  gateway: GatewayHandle;
  integration: ServiceProcess | undefined;
  stop(): Promise<void>;
}

/**
 * Builds the UI, starts user-service, optionally integration-service in demo mode (the scripted Telegram
 * fake), the gateway serving the UI, and Chromium.
 */
export async function startWebFixture(
  env: Record<string, string> = {},
  options: { telegramDemo?: boolean; buildUi?: boolean } = {},
): Promise<WebFixture> {
  if (options.buildUi !== false) buildUi();
  mkdirSync(ARTIFACTS, { recursive: true });
  // Every test registers its own users from 127.0.0.1: the per-IP registration limit is the user-service
  // suite's concern, not this one's.
  const users = await startUserServiceFixture({ REGISTER_LIMIT_PER_IP: '100000' });
  let integration: ServiceProcess | undefined;
  if (options.telegramDemo === true) {
    await users.postgres.query('CREATE DATABASE integrations');
    integration = await startServiceProcess(join(root, 'services/integration-service/src/main.ts'), {
      TELEGRAM_MODE: 'demo',
      DATABASE_PORT: String(users.postgres.port),
      DATABASE_USER: users.postgres.user,
      DATABASE_PASSWORD: users.postgres.password,
      DATABASE_NAME: 'integrations',
      VAULT_ADDR: users.vault.address,
      VAULT_AUTH: 'token',
      VAULT_TOKEN: users.vault.rootToken ?? '',
      VAULT_TRANSIT_ENSURE: 'true',
      JWKS_URL: `${users.url}/.well-known/jwks.json`,
      POD_NAME: 'web-test-0',
    });
  }
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const gateway = await startGateway({
    PORT: String(port),
    USER_SERVICE_URL: users.url,
    INTEGRATION_SERVICE_URL:
      integration?.url ?? env['INTEGRATION_SERVICE_URL'] ?? `http://127.0.0.1:${await freePort()}`,
    PUBLIC_ORIGIN: url,
    WEB_ROOT: join(root, 'services/web/dist'),
    ...env,
  });
  const chromium = await startChromium();
  return {
    url,
    chromium,
    users,
    gateway,
    integration,
    async stop() {
      await chromium.close();
      await gateway.stop();
      await integration?.stop();
      await users.stop();
    },
  };
}

/** The production build of the UI into services/web/dist. */
export function buildUi(): void {
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/vite/bin/vite.js'), 'build', join(root, 'services/web'), '--logLevel', 'warn'],
    { cwd: root },
  );
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
