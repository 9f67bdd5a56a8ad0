import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { adoptProcessGroup, scratchDir } from './process.ts';

/** Debian's Chromium; Playwright's own browser download cannot run on these machines. */
export function chromiumPath(): string {
  const explicit = process.env['CF_CHROMIUM_BIN'];
  const candidates = [explicit, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
    (path): path is string => !!path,
  );
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) {
    throw new Error(
      'no Chromium found: install it with `apt-get install chromium` (.ci/run does), or set CF_CHROMIUM_BIN',
    );
  }
  return found;
}

/**
 * Headless Chromium driven by playwright-core. The flags keep it off the network: on these machines
 * every connection outside loopback is refused, and background fetches would only add noise.
 */
export interface ChromiumHandle {
  browser: Browser;
  close(): Promise<void>;
}

export async function startChromium(): Promise<ChromiumHandle> {
  const server = await chromium.launchServer({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
    env: { ...process.env, HOME: scratchDir('chromium') },
  });
  // Playwright starts the browser as a process-group leader; the reaper kills that group if we die.
  const pid = server.process().pid;
  if (pid !== undefined) adoptProcessGroup(pid);
  const browser = await chromium.connect(server.wsEndpoint());
  return {
    browser,
    async close() {
      await browser.close().catch(() => undefined);
      await server.close();
    },
  };
}
