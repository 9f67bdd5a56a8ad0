import test from 'ava';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startChromium } from '../support/chromium.ts';

test('Chromium renders a local page and the screenshot is a non-empty PNG', async (t) => {
  const server = createServer((_request, response) => {
    response.setHeader('content-type', 'text/html');
    response.end('<!doctype html><title>cf</title><h1 id="hello" style="color:#0a7">Content Factory</h1>');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  const chromium = await startChromium();
  t.teardown(() => chromium.close());
  const page = await chromium.browser.newPage({ viewport: { width: 640, height: 360 } });
  const { port } = server.address() as { port: number };
  await page.goto(`http://127.0.0.1:${port}/`);
  t.is(await page.textContent('#hello'), 'Content Factory');
  const png = await page.screenshot();
  t.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  t.true(png.length > 1000);
  mkdirSync('test-results', { recursive: true });
  const file = join('test-results', 'harness-chromium.png');
  writeFileSync(file, png);
  t.true(statSync(file).size > 0);
});
