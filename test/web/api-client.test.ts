import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENERATED_CLIENT, renderClientTypes } from '../../services/web/scripts/api-client.ts';
import { startWebFixture, type WebFixture } from './fixture.ts';

const web = fileURLToPath(new URL('../../services/web', import.meta.url));
let f: WebFixture;

test.before(async () => {
  // Mail configured, so user-service offers (and documents) its verification, reset and address-change routes; the
  // SMTP port goes nowhere, as nothing here sends mail.
  f = await startWebFixture(
    {},
    {
      telegramDemo: true,
      buildUi: false,
      userService: { SMTP_HOST: '127.0.0.1', SMTP_PORT: '9', SMTP_TLS: 'none' },
    },
  );
});

test.after.always(async () => {
  await f?.stop();
});

test('the typed API client is generated from the documents the running services publish', async (t) => {
  const response = await fetch(`${f.url}/api/openapi.json`);
  t.is(response.status, 200);
  const document = (await response.json()) as { info: { description: string }; paths: Record<string, unknown> };
  t.notRegex(document.info.description, /Not included/, 'every upstream contributed its document');
  const expected = await renderClientTypes(document);
  const target = join(web, GENERATED_CLIENT);
  // UPDATE_API_CLIENT=1 rewrites the file (what services/web/scripts/generate-api-client.ts does against npm start).
  if (process.env['UPDATE_API_CLIENT'] === '1') await writeFile(target, expected);
  const committed = await readFile(target, 'utf8');
  t.true(
    committed === expected,
    'services/web/src/api/generated/schema.ts is stale: run `node services/web/scripts/generate-api-client.ts` against npm start, or this test with UPDATE_API_CLIENT=1',
  );
});
