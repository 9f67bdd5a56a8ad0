import test, { type ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { operationsOf, publishedDocuments, type OpenApiDocument } from './documents.ts';
import { answersByOperation, succeeded } from './har.ts';
import { startPlatform, type Platform } from './platform.ts';
import { schemathesisCommand } from './schemathesis.ts';

// Issue 22: Schemathesis generates requests from each published document and checks every answer of the
// real services against it — no 5xx, statuses, content types, headers and bodies as documented, invalid
// input refused and valid input accepted, methods the document does not name refused with 405 and Allow.
const root = fileURLToPath(new URL('../..', import.meta.url));
const REPORTS = join(root, 'test-results', 'schemathesis');
/** Fixed, so a finding reproduces; the examples per operation bound the run's time. */
const SEED = '22';
const EXAMPLES = '12';

/** The fuzzer's own accounts: one whose session the ordinary runs share, one the session-ending run ends. */
const FUZZER = { email: 'fuzz@example.org', password: 'a fuzzing password 22' };
const SESSION_ENDER = { email: 'fuzz-sessions@example.org', password: 'a fuzzing password 22' };
/** Logs in for every run and again whenever the session ended (see the file). */
const AUTH_HOOK = join(root, 'test', 'api-contract', 'schemathesis_auth.py');

let platform: Platform;
let documents: Record<string, OpenApiDocument>;

test.before(async () => {
  mkdirSync(REPORTS, { recursive: true });
  platform = await startPlatform({
    telegramDemo: true,
    // The fuzzer sends thousands of requests from one address; the gateway's limits are tested elsewhere.
    gateway: { RATE_LIMIT_PER_IP: '1000000', RATE_LIMIT_PER_USER: '1000000' },
    userService: { LOGIN_LIMIT_PER_EMAIL_IP: '1000000', LOGIN_LIMIT_PER_IP: '1000000' },
    // Per-user caps on Telegram logins and pending images would turn later creates into 409/429 for the
    // rest of the run (their own tests prove them); the stateful run needs creates to follow links from.
    integrationService: {
      LIMIT_PENDING_LOGINS_PER_USER: '1000000',
      LIMIT_LOGINS_PER_USER_PER_HOUR: '1000000',
      LIMIT_CODES_PER_PHONE_PER_DAY: '1000000',
      LIMIT_PENDING_IMAGES_PER_USER: '1000000',
    },
  });
  for (const account of [FUZZER, SESSION_ENDER]) {
    const response = await fetch(`${platform.users.url}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(account),
      signal: AbortSignal.timeout(60_000),
    });
    if (response.status !== 201) throw new Error(`registering ${account.email}: ${response.status}`);
  }
  documents = await publishedDocuments(platform);
});

test.after.always(async () => {
  await platform?.stop();
});

/**
 * Left out of the runs that share the fuzzer's session, each for a reason: they end it (a deleted session is
 * the caller's own once Schemathesis reuses the `sessionId` of `GET /auth/session` — that is what turned
 * every later answer into a 401 before the auth hook). They run on their own below, with their own account.
 */
const ENDS_THE_SESSION = ['postAuthLogout', 'postAuthLogoutAll', 'deleteAuthSessionsById'];

/**
 * Left out of the positive-data check, for a reason: a schema-valid but wrong current password is refused
 * with 400 at its field (no document can know the password); the operation runs every other check below.
 */
const NEEDS_THE_PASSWORD = 'postUsersMePassword';

interface Run {
  ok: boolean;
  output: string;
  /** Wall time of the run, seconds. */
  seconds: number;
  /** Statuses by operationId, from the run's HAR report. */
  answers: Map<string, number[]>;
}

async function run(
  name: string,
  document: string,
  extra: string[],
  options: { account?: typeof FUZZER; phases?: string } = {},
): Promise<Run> {
  const account = options.account ?? FUZZER;
  const documentUrl = DOCUMENT_URLS[document]!();
  const har = join(REPORTS, `${name}.har`);
  const args = [
    '--config-file',
    join(root, 'test', 'api-contract', 'schemathesis.toml'),
    'run',
    documentUrl,
    // Every check is Schemathesis 4's default; naming them here (`--checks all`) would override the
    // per-operation exclusions of the config file.
    '--seed',
    SEED,
    '--max-examples',
    EXAMPLES,
    '--phases',
    options.phases ?? 'examples,coverage,fuzzing',
    // One worker: with two, Hypothesis (on Python 3.11) failed with an internal AST recursion error.
    '--workers',
    '1',
    '--request-timeout',
    '60',
    // The revocation feed holds a poll up to 20 s by design, and password hashing under a loaded CI machine
    // takes seconds: latency is bench/'s concern, not this conformance run's.
    '--max-response-time',
    '60',
    '--suppress-health-check',
    'all',
    '--no-color',
    '--report',
    'junit,har',
    '--report-junit-path',
    join(REPORTS, `${name}.xml`),
    '--report-har-path',
    har,
    ...extra,
  ];
  const started = performance.now();
  let ok = true;
  let output: string;
  try {
    ({ stdout: output } = await promisify(execFile)(schemathesisCommand(), args, {
      // Its own cache (`.schemathesis/`) lands with the reports, outside the sources.
      cwd: REPORTS,
      timeout: 900_000,
      maxBuffer: 64 * 1024 * 1024,
      env: {
        ...process.env,
        SCHEMATHESIS_HOOKS: AUTH_HOOK,
        CF_FUZZ_LOGIN_URL: `${platform.users.url}/auth/login`,
        CF_FUZZ_EMAIL: account.email,
        CF_FUZZ_PASSWORD: account.password,
      },
    }));
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    ok = false;
    output = `${failed.stdout ?? ''}\n${failed.stderr ?? failed.message}`;
  }
  const seconds = Math.round((performance.now() - started) / 1000);
  return { ok, output, seconds, answers: answersByOperation(har, documents[document]!) };
}

const DOCUMENT_URLS: Record<string, () => string> = {
  'user-service': () => `${platform.users.url}/openapi.json`,
  'integration-service': () => `${platform.integration!.url}/openapi.json`,
  'api-gateway': () => `${platform.url.replace('localhost', '127.0.0.1')}/api/openapi.json`,
};

const excluded = (ids: readonly string[]) => ids.flatMap((id) => ['--exclude-operation-id', id]);
const sharedSession = excluded([...ENDS_THE_SESSION, NEEDS_THE_PASSWORD]);

/** What a run did, for the log a reader of the test output sees (counts, not bodies). */
function summary(t: ExecutionContext, name: string, result: Run): void {
  const ok2xx = succeeded(result.answers);
  t.log(`${name}: ${result.seconds} s, ${ok2xx.length}/${result.answers.size} operations answered 2xx`);
}

/** The operations of a document a user can read without naming a resource: each must answer 2xx at least once. */
function listOperations(document: string, ...leftOut: string[]): string[] {
  return operationsOf(documents[document]!)
    .filter(([method, path, op]) => method === 'get' && !path.includes('{') && op.security?.some((r) => 'bearer' in r))
    .map(([, , op]) => op.operationId!)
    .filter((id) => !leftOut.includes(id));
}

/**
 * Admin-only operations answer 403 to the fuzzer (a plain user), and the channels a connected account could
 * join need such an account — no generated request can connect one; the stateful run below covers the rest.
 */
const NOT_REACHABLE = ['getAdminUsers', 'getTelegramChannelsAvailable', 'getInternalSessionRevocations'];

test.serial('user-service answers every generated request as its document says, authenticated for real', async (t) => {
  const result = await run('user-service', 'user-service', sharedSession);
  summary(t, 'user-service', result);
  t.true(result.ok, result.output.slice(-20_000));
  const missing = listOperations('user-service', ...NOT_REACHABLE).filter(
    (id) => !succeeded(result.answers).includes(id),
  );
  t.deepEqual(missing, [], 'operations that never answered 2xx');
  t.true(succeeded(result.answers).includes('patchUsersMe'), 'a write ran with a live session');
});

test.serial(
  'integration-service answers every generated request as its document says, authenticated for real',
  async (t) => {
    const result = await run('integration-service', 'integration-service', []);
    summary(t, 'integration-service', result);
    t.true(result.ok, result.output.slice(-20_000));
    const missing = listOperations('integration-service', ...NOT_REACHABLE).filter(
      (id) => !succeeded(result.answers).includes(id),
    );
    t.deepEqual(missing, [], 'operations that never answered 2xx');
    t.true(succeeded(result.answers).includes('postTelegramPostsImages'), 'a write ran with a live session');
  },
);

test.serial('the gateway answers every generated request as its document says, authenticated for real', async (t) => {
  const result = await run('api-gateway', 'api-gateway', sharedSession);
  summary(t, 'api-gateway', result);
  t.true(result.ok, result.output.slice(-20_000));
  const missing = listOperations('api-gateway', ...NOT_REACHABLE).filter(
    (id) => !succeeded(result.answers).includes(id),
  );
  t.deepEqual(missing, [], 'operations that never answered 2xx');
});

test.serial('the operations that end sessions end real ones and answer as documented', async (t) => {
  const result = await run(
    'session-enders',
    'user-service',
    // With the reads that name the caller's sessions: their ids are what a session delete needs.
    [...ENDS_THE_SESSION, 'getAuthSession', 'getAuthSessions'].flatMap((id) => ['--include-operation-id', id]),
    { account: SESSION_ENDER },
  );
  summary(t, 'session-enders', result);
  t.true(result.ok, result.output.slice(-20_000));
  t.deepEqual(
    ENDS_THE_SESSION.filter((id) => !succeeded(result.answers).includes(id)),
    [],
    'each ended a session at least once',
  );
});

test.serial('the password change answers as documented, but for wrong current passwords', async (t) => {
  const result = await run(
    'password-change',
    'user-service',
    ['--include-operation-id', NEEDS_THE_PASSWORD, '--exclude-checks', 'positive_data_acceptance'],
    { account: SESSION_ENDER },
  );
  summary(t, 'password-change', result);
  t.true(result.ok, result.output.slice(-20_000));
});

test.serial("the stateful run follows the documents' links from created resources to their operations", async (t) => {
  const result = await run('stateful', 'api-gateway', sharedSession, { phases: 'stateful' });
  summary(t, 'stateful', result);
  t.true(result.ok, result.output.slice(-20_000));
  // A QR login is created in demo mode without Telegram input; only a followed link can name it.
  t.true(succeeded(result.answers).includes('getTelegramLoginsById'), 'a link from a created login was followed');
});
