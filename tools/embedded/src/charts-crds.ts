import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { versions } from './build-versions.ts';

const run = promisify(execFile);

export interface CrdSource {
  module: string;
  version: string;
  /** The module's directory in the Go module cache. */
  dir: string;
  /** CRD files to apply, absolute paths, sorted. */
  files: string[];
}

/** Only CustomResourceDefinition files: Gateway API's directory also holds a ValidatingAdmissionPolicy. */
const isCrdFile = (file: string): boolean => file.endsWith('.yaml') && file.includes('_') && !file.includes('_vap_');

/**
 * The cert-manager, CloudNativePG and Gateway API CRDs at the pinned versions, from the Go module cache
 * (downloaded through the module proxy on first use, as Go operator projects do for envtest).
 */
export async function chartsCrdDirs(progress: (line: string) => void = () => {}): Promise<CrdSource[]> {
  const out: CrdSource[] = [];
  for (const { module, version, dir } of Object.values(versions.crds)) {
    progress(`go mod download ${module}@${version}`);
    const { stdout } = await run('go', ['mod', 'download', '-json', `${module}@${version}`], {
      cwd: tmpdir(),
      env: { ...process.env, GOFLAGS: '-mod=mod', GO111MODULE: 'on' },
      maxBuffer: 8 * 1024 * 1024,
    });
    const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
    if (info.Dir === undefined) throw new Error(`no CRDs: ${module}@${version}: ${info.Error ?? 'no Dir'}`);
    const crdDir = join(info.Dir, dir);
    const files = readdirSync(crdDir)
      .filter(isCrdFile)
      .sort()
      .map((file) => join(crdDir, file));
    if (files.length === 0) throw new Error(`no CRD files in ${crdDir}`);
    out.push({ module, version, dir: info.Dir, files });
  }
  return out;
}
