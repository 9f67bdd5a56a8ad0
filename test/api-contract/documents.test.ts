import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { dereferenced } from '../support/openapi-refs.ts';
import { operationsOf, publishedDocuments, type OpenApiDocument, type OperationObject } from './documents.ts';
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

type Schema = {
  $ref?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
};

/**
 * Whether a JSON pointer (RFC 6901) names a place the schema describes; array indexes go into `items`, and
 * references to the document's named schemas are followed.
 */
function resolves(document: OpenApiDocument, found: Schema | undefined, pointer: string): boolean {
  if (found === undefined) return false;
  const schema = dereferenced(document, found);
  if (pointer === '') return true;
  const [head, ...rest] = pointer.slice(1).split('/');
  const tail = rest.length > 0 ? `/${rest.join('/')}` : '';
  const alternatives = [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])];
  if (alternatives.some((alternative) => resolves(document, alternative, pointer))) return true;
  if (/^\d+$/.test(head!) && schema.items !== undefined) return resolves(document, schema.items, tail);
  return resolves(document, schema.properties?.[head!.replace(/~1/g, '/').replace(/~0/g, '~')], tail);
}

/** Why a link's parameter expression does not resolve against its source operation, or undefined. */
function unresolved(
  document: OpenApiDocument,
  source: OperationObject,
  status: string,
  expression: string,
): string | undefined {
  const body = /^\$response\.body#(.*)$/.exec(expression);
  if (body !== undefined && body !== null) {
    const schema = source.responses[status]?.content?.['application/json']?.schema as Schema | undefined;
    return resolves(document, schema, body[1]!) ? undefined : `${expression} is not in the ${status} body`;
  }
  const path = /^\$request\.path\.(\w+)$/.exec(expression);
  if (path !== null) {
    const known = source.parameters?.some((p) => p.in === 'path' && p.name === path[1]) ?? false;
    return known ? undefined : `${expression}: no such path parameter`;
  }
  return `${expression}: not a runtime expression this API uses`;
}

test('every link names an operation of its document, and each parameter and expression resolves', (t) => {
  const problems: string[] = [];
  let links = 0;
  for (const [name, document] of Object.entries(documents)) {
    const byId = new Map(operationsOf(document).map(([, , op]) => [op.operationId, op]));
    for (const [method, path, op] of operationsOf(document)) {
      for (const [status, response] of Object.entries(op.responses)) {
        for (const [linkName, link] of Object.entries(response.links ?? {})) {
          links += 1;
          const where = `${name} ${method} ${path} ${status} ${linkName}`;
          const target = byId.get(link.operationId);
          if (target === undefined) {
            problems.push(`${where}: no operation ${link.operationId}`);
            continue;
          }
          const targetPath = target.parameters?.filter((p) => p.in === 'path').map((p) => p.name) ?? [];
          for (const missing of targetPath.filter((parameter) => !(parameter in (link.parameters ?? {})))) {
            problems.push(`${where}: no value for ${link.operationId}'s ${missing}`);
          }
          for (const [parameter, expression] of Object.entries(link.parameters ?? {})) {
            if (!target.parameters?.some((p) => p.name === parameter)) {
              problems.push(`${where}: ${link.operationId} has no parameter ${parameter}`);
            }
            const why = unresolved(document, op, status, expression);
            if (why !== undefined) problems.push(`${where}: ${why}`);
          }
        }
      }
    }
  }
  t.deepEqual(problems, []);
  t.true(links >= 20, `the documents carry links (${links})`);
});

test('creating a bot, a login, a channel or a post links to the operations on what was created', (t) => {
  const linked = (document: OpenApiDocument, method: string, path: string, status: string) =>
    Object.values(document.paths[path]?.[method]?.responses[status]?.links ?? {})
      .map((link) => link.operationId)
      .sort();
  const integration = documents['integration-service']!;
  t.deepEqual(linked(integration, 'post', '/telegram/bots', '201'), [
    'deleteTelegramBotsById',
    'patchTelegramBotsById',
  ]);
  t.true(linked(integration, 'post', '/telegram/logins/qr', '201').includes('getTelegramLoginsById'));
  t.true(linked(integration, 'post', '/telegram/posts', '201').includes('patchTelegramPostsById'));
  t.true(linked(integration, 'post', '/telegram/channels', '201').includes('getTelegramChannelsById'));
  t.deepEqual(linked(documents['api-gateway']!, 'post', '/api/telegram/bots', '201'), [
    'deleteTelegramBotsById',
    'patchTelegramBotsById',
  ]);
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
