import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { binaryCacheDir, runLogged } from '@cf/embedded/binaries';

/** Schemathesis from PyPI, pinned (issue 22): the schema-driven fuzzer run against the live services. */
export const SCHEMATHESIS_VERSION = '4.32.5';

/** Its virtualenv, beside the binary cache (`~/.cache/content-factory/venvs/`), shared by every clone. */
export function schemathesisVenv(): string {
  return join(dirname(binaryCacheDir()), 'venvs', `schemathesis-${SCHEMATHESIS_VERSION}`);
}

/** The version a finished install recorded (`.cf-installed`, written last), so a broken half-install is redone. */
function installedVersion(venv: string): string | undefined {
  const marker = join(venv, '.cf-installed');
  if (!existsSync(marker) || !existsSync(join(venv, 'bin', 'schemathesis'))) return undefined;
  return readFileSync(marker, 'utf8').trim();
}

/**
 * Makes sure the pinned Schemathesis is installed in its venv (python3 -m venv + pip, about a minute once
 * per machine) and returns its command. Run by test/support/prepare.ts, so the contract suite never skips.
 */
export async function ensureSchemathesis(progress: (line: string) => void): Promise<string> {
  const venv = schemathesisVenv();
  const bin = join(venv, 'bin', 'schemathesis');
  if (installedVersion(venv) === SCHEMATHESIS_VERSION) return bin;
  progress(`installing schemathesis ${SCHEMATHESIS_VERSION} into ${venv}`);
  mkdirSync(dirname(venv), { recursive: true });
  await runLogged('python3', ['-m', 'venv', venv], dirname(venv), progress);
  await runLogged(
    join(venv, 'bin', 'pip'),
    ['install', '--disable-pip-version-check', '--quiet', `schemathesis==${SCHEMATHESIS_VERSION}`],
    dirname(venv),
    progress,
  );
  const version = await runLogged(bin, ['--version'], dirname(venv), progress);
  if (!version.includes(SCHEMATHESIS_VERSION)) throw new Error(`schemathesis reports ${version.trim()}`);
  writeFileSync(join(venv, '.cf-installed'), SCHEMATHESIS_VERSION);
  return bin;
}

/** The installed command, or a failure saying how to get it. */
export function schemathesisCommand(): string {
  const venv = schemathesisVenv();
  if (installedVersion(venv) !== SCHEMATHESIS_VERSION) {
    throw new Error(
      `schemathesis ${SCHEMATHESIS_VERSION} is not installed in ${venv}: run \`node test/support/prepare.ts\` ` +
        '(it creates the venv with python3 -m venv and installs it from PyPI)',
    );
  }
  return join(venv, 'bin', 'schemathesis');
}
