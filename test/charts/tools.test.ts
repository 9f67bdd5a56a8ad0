import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { goToolDir } from '../support/binaries.ts';
import { versions } from '../support/versions.ts';

const requires = (tool: 'charts-netpol' | 'charts-starlark' | 'charts-kindconfig'): string =>
  readFileSync(join(goToolDir(tool), 'go.mod'), 'utf8');

test('the Go helpers are built from the upstream module versions pinned in versions.ts', (t) => {
  const { cyclonus, starlark, kind } = versions.chartsTools;
  t.true(requires('charts-netpol').includes(`${cyclonus.module} ${cyclonus.version}`));
  t.true(requires('charts-starlark').includes(`${starlark.module} ${starlark.version}`));
  t.true(requires('charts-kindconfig').includes(`${kind.module} ${kind.version}`));
});
