// Filebeat 7.17 (Apache-2.0), built from its Go module: `go install` is refused by the proxy here, but the module
// zip is served, so the build runs in a copy of the downloaded module (FACTS.md). ≈ 6 min cold on 2 cores.
// Its Elasticsearch output refuses engines that lack Elastic's `GET /` and `/_license` (the integ-test
// Elasticsearch has no `GET /`; OpenSearch has no `/_license`), so tests take its file output and send those
// events through the ingest pipeline with `_bulk?pipeline=` — the request its Elasticsearch output would make.
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { binaryCacheDir, buildOnce, runLogged } from './binaries.ts';
import { scratchDir, spawnManaged, type ManagedProcess } from './process.ts';
import { pinned as versions } from './versions.ts';

const run = promisify(execFile);

/** The Filebeat binary: `CF_FILEBEAT_BIN`, `filebeat` on PATH, the cache, or a build from the Go module. */
export async function filebeatBinary(progress: (line: string) => void = () => {}): Promise<string> {
  const explicit = process.env['CF_FILEBEAT_BIN'];
  if (explicit !== undefined && explicit !== '') return explicit;
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, 'filebeat'))) return join(dir, 'filebeat');
  }
  const { module, version } = versions.filebeat;
  const cached = join(binaryCacheDir(), `filebeat-${version}`);
  if (existsSync(cached)) return cached;
  // Locked: two suites starting at once on a cold machine each built it, and one's rename found the other's gone.
  await buildOnce(
    cached,
    () => existsSync(cached),
    async () => {
      progress(`building Filebeat ${version} from ${module} (≈ 6 min cold)`);
      const { stdout } = await run('go', ['mod', 'download', '-json', `${module}@${version}`], {
        maxBuffer: 1 << 20,
      });
      const dir = (JSON.parse(stdout) as { Dir: string }).Dir;
      const work = join(tmpdir(), `cf-filebeat-build-${process.pid}`);
      rmSync(work, { recursive: true, force: true });
      cpSync(dir, work, { recursive: true });
      chmodSync(work, 0o755);
      await run('chmod', ['-R', 'u+w', work]);
      try {
        await runLogged(
          'go',
          ['build', '-trimpath', '-ldflags', '-s -w', '-o', `${cached}.partial`, './filebeat'],
          work,
          progress,
          { CGO_ENABLED: '0' },
        );
        renameSync(`${cached}.partial`, cached);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    },
  );
  return cached;
}

export interface FilebeatProcess {
  process: ManagedProcess;
  dir: string;
  stop(): Promise<void>;
}

/** Runs Filebeat with `config` (a filebeat.yml object; JSON is valid YAML) in a scratch home of its own. */
export async function startFilebeat(config: Record<string, unknown>, name = 'filebeat'): Promise<FilebeatProcess> {
  const binary = await filebeatBinary();
  const dir = scratchDir(name);
  mkdirSync(join(dir, 'data'));
  const configFile = join(dir, 'filebeat.yml');
  writeFileSync(configFile, JSON.stringify(config, null, 2), { mode: 0o600 });
  const proc = spawnManaged(
    binary,
    ['-e', '-c', configFile, '--path.home', dir, '--path.data', join(dir, 'data'), '--strict.perms=false'],
    { name, logFile: join(dir, 'filebeat.log') },
  );
  return { process: proc, dir, stop: () => proc.stop(10_000) };
}

/**
 * The events Filebeat's file output wrote (one JSON object a line), without `@metadata` — the part its
 * Elasticsearch output would have put into the bulk request's action line instead of the document.
 */
export function readEvents(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const { '@metadata': _metadata, ...event } = JSON.parse(line) as Record<string, unknown>;
      return event;
    });
}
