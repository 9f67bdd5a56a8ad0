// The process npm start spawns for a service before Vault is up: it loads the modules the entry point imports (most
// of a service's boot, about two thousand modules) straight away, then waits for one JSON line on stdin with the
// environment that depends on Vault (the service's token and database role), sets it and runs the entry point. So
// module loading overlaps PostgreSQL's start and Vault's unseal instead of following them.
//
// usage: node local/launcher.ts <entry.ts>   (stdin: one line, a JSON object of environment variables)
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const entry = resolve(process.argv[2] ?? '');
/** The entry's static imports; importing them first has no effect beyond loading (entry points do the work). */
const imports = [...readFileSync(entry, 'utf8').matchAll(/^import\s[^'"]*?from\s*['"]([^'"]+)['"]/gm)].map(
  (match) => match[1]!,
);
await Promise.all(
  imports.map(
    (specifier) =>
      import(specifier.startsWith('.') ? pathToFileURL(resolve(dirname(entry), specifier)).href : specifier),
  ),
);

const lines = createInterface({ input: process.stdin });
let settings: Record<string, string> | undefined;
for await (const line of lines) {
  settings = JSON.parse(line) as Record<string, string>;
  break;
}
lines.close();
process.stdin.destroy();
if (settings === undefined) {
  // npm start went away before handing over the settings: nothing to run.
  process.exit(1);
}
Object.assign(process.env, settings);
await import(pathToFileURL(entry).href);
