import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { operationsOf, publishedDocuments, type OpenApiDocument } from './documents.ts';
import { startPlatform, type Platform } from './platform.ts';

// Issue 22: the published OpenAPI documents describe everything the services answer — checked here by
// walking them, and by Spectral with the repository's ruleset.
const root = fileURLToPath(new URL('../..', import.meta.url));
let platform: Platform;
let documents: Record<string, OpenApiDocument>;

test.before(async () => {
  platform = await startPlatform({ telegramDemo: true });
  documents = await publishedDocuments(platform);
});

test.after.always(async () => {
  await platform?.stop();
});

const WITH_BODY = new Set(['post', 'put', 'patch', 'delete']);

test('every operation of every document declares its success answer, with a body schema unless 204', (t) => {
  const missing: string[] = [];
  for (const [name, document] of Object.entries(documents)) {
    for (const [method, path, op] of operationsOf(document)) {
      const successes = Object.keys(op.responses).filter((status) => /^2\d\d$/.test(status));
      if (successes.length !== 1) missing.push(`${name} ${method} ${path}: ${successes.length} success answers`);
      for (const status of successes.filter((status) => status !== '204')) {
        if (op.responses[status]?.content?.['application/json']?.schema === undefined) {
          missing.push(`${name} ${method} ${path}: ${status} without a body schema`);
        }
      }
    }
  }
  t.deepEqual(missing, []);
  t.true(operationsOf(documents['integration-service']!).length >= 16, 'the documents were walked');
});

test('every operation declares each error status the kit answers for it, as a problem', (t) => {
  const missing: string[] = [];
  for (const [name, document] of Object.entries(documents)) {
    for (const [method, path, op] of operationsOf(document)) {
      const expected = ['431'];
      if (WITH_BODY.has(method)) expected.push('400', '413', '415');
      if (op.security?.some((requirement) => 'bearer' in requirement)) expected.push('401');
      if (path.includes('/admin/')) expected.push('403');
      if (name === 'integration-service' && op.security?.some((r) => 'bearer' in r)) expected.push('503');
      if (name === 'api-gateway') expected.push('429', '502', '503', '504');
      for (const status of expected) {
        const answer = op.responses[status];
        if (answer?.content?.['application/problem+json'] === undefined)
          missing.push(`${name} ${method} ${path} ${status}`);
        if ((status === '429' || status === '503') && answer?.headers?.['Retry-After'] === undefined) {
          missing.push(`${name} ${method} ${path} ${status} without Retry-After`);
        }
      }
    }
  }
  t.deepEqual(missing, []);
});

test('the gateway document has every public operation of the services, under /api', (t) => {
  const gateway = new Map(
    operationsOf(documents['api-gateway']!).map(([method, path, op]) => [op.operationId, `${method} ${path}`]),
  );
  const expected: string[] = [];
  for (const name of ['user-service', 'integration-service']) {
    for (const [method, path, op] of operationsOf(documents[name]!)) {
      if (path.startsWith('/internal/')) continue;
      expected.push(`${op.operationId}: ${method} /api${path}`);
    }
  }
  t.deepEqual([...gateway].map(([id, where]) => `${id}: ${where}`).sort(), expected.sort());
});

test('each document names the server its paths are relative to', (t) => {
  for (const [name, document] of Object.entries(documents)) t.deepEqual(document.servers, [{ url: '/' }], name);
});

test('Spectral with the repository ruleset finds no error or warning in any document', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cf-spectral-'));
  try {
    const findings: string[] = [];
    for (const [name, document] of Object.entries(documents)) {
      const file = join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify(document, null, 2));
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          join(root, 'node_modules/@stoplight/spectral-cli/dist/index.js'),
          'lint',
          file,
          '--ruleset',
          join(root, 'test/api-contract/spectral.yaml'),
          '--format',
          'json',
          '--fail-severity',
          'error',
          '--quiet',
        ],
        { cwd: root, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      ).catch((error: { stdout?: string; stderr?: string }) => {
        if (error.stdout === undefined || error.stdout === '') throw new Error(`spectral failed: ${error.stderr}`);
        return { stdout: error.stdout };
      });
      // Severity 0 is an error, 1 a warning; 2–3 (information, hints) are advice.
      const results = JSON.parse(stdout === '' ? '[]' : stdout) as {
        code: string;
        message: string;
        severity: number;
        path: string[];
      }[];
      for (const result of results.filter((each) => each.severity <= 1)) {
        findings.push(`${name}: ${result.code} at ${result.path.join('.')}: ${result.message}`);
      }
    }
    t.deepEqual(findings, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
