// The import rules of docs/architecture.md, checked on every source file of the repository: nothing outside
// test/ imports from test/, and no service imports another service (they talk over HTTP; shared code is a package).
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const skipped = new Set(['node_modules', 'dist', '.git', '.local', 'manifests', 'test-results']);
/** Deployable services: each its own room. `kit` is the library they share, not a service. */
const serviceNames = ['api-gateway', 'integration-service', 'user-service', 'web'];

/**
 * Imports from test/ that remain outside it, each with its owner and reason. The list only shrinks: an entry that no
 * longer occurs fails the test too, so whoever fixes one removes it here.
 */
const pending: Record<string, string> = {};

function sourceFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (skipped.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...sourceFiles(path));
    else if (/\.(?:ts|tsx|mts|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) found.push(path);
  }
  return found;
}

/** Module specifiers of static imports, re-exports, side-effect imports and dynamic `import('…')`. */
function specifiers(source: string): string[] {
  const pattern =
    /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
  return [...source.matchAll(pattern)].map((match) => match[1] ?? match[2] ?? match[3]!);
}

/** The repository path an import points at: relative specifiers resolved, `@cf/<package>` mapped to its folder. */
function target(file: string, specifier: string): string | undefined {
  if (specifier.startsWith('.')) return relative(root, resolve(dirname(file), specifier));
  const pkg = /^@cf\/([^/]+)/.exec(specifier)?.[1];
  if (pkg === undefined) return undefined;
  if (serviceNames.includes(pkg) || pkg === 'kit') return `services/${pkg}`;
  return `@cf/${pkg}`;
}

const serviceOf = (path: string): string | undefined => {
  const parts = path.split(sep);
  return parts[0] === 'services' && serviceNames.includes(parts[1] ?? '') ? parts[1] : undefined;
};

function violations(): { outsideTest: string[]; serviceToService: string[] } {
  const outsideTest: string[] = [];
  const serviceToService: string[] = [];
  for (const file of sourceFiles(root)) {
    const from = relative(root, file);
    for (const specifier of specifiers(readFileSync(file, 'utf8'))) {
      const to = target(file, specifier);
      if (to === undefined) continue;
      if (!from.startsWith(`test${sep}`) && to.startsWith(`test${sep}`)) outsideTest.push(`${from} -> ${to}`);
      const a = serviceOf(from);
      const b = serviceOf(to);
      if (a !== undefined && b !== undefined && a !== b) serviceToService.push(`${from} -> ${to}`);
    }
  }
  return { outsideTest: [...new Set(outsideTest)].sort(), serviceToService: [...new Set(serviceToService)].sort() };
}

test('no file outside test/ imports from test/, except the listed pending moves', (t) => {
  const { outsideTest } = violations();
  t.deepEqual(
    outsideTest.filter((edge) => pending[edge] === undefined),
    [],
    'move what both need into a package (tools/embedded holds the shared components)',
  );
});

test('every pending import from test/ still exists (fixed ones leave the list)', (t) => {
  const { outsideTest } = violations();
  t.deepEqual(
    Object.keys(pending).filter((edge) => !outsideTest.includes(edge)),
    [],
  );
});

test('no service imports another service', (t) => {
  t.deepEqual(violations().serviceToService, []);
});

test('the import scanner sees each import form (guards the checks above against a blind regex)', (t) => {
  const source = [
    "import a from '../test/a.ts';",
    "import { b } from '../test/b.ts';",
    "import type { C } from '../test/c.ts';",
    "export * from '../test/d.ts';",
    "import '../test/e.ts';",
    "const f = await import('../test/f.ts');",
  ].join('\n');
  t.deepEqual(specifiers(source), [
    '../test/a.ts',
    '../test/b.ts',
    '../test/c.ts',
    '../test/d.ts',
    '../test/e.ts',
    '../test/f.ts',
  ]);
});
