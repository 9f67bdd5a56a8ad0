// Run by `npm test` before ava: makes sure every real component the suites start is here, building what
// is missing with progress on the terminal, so no test waits silently on a build or skips for lack of one.
import { allBinaries, binaryVersion, resolveBinary } from './binaries.ts';
import { chromiumPath } from './chromium.ts';
import { podmanMissing } from './containers.ts';

const started = Date.now();
const problems: string[] = [];

for (const name of allBinaries) {
  try {
    const resolved = await resolveBinary(name, (line) => console.log(`  [${name}] ${line}`));
    console.log(`${name}: ${resolved.path} (${resolved.source}) — ${await binaryVersion(resolved.path)}`);
  } catch (error) {
    problems.push((error as Error).message);
  }
}

try {
  console.log(`chromium: ${chromiumPath()}`);
} catch (error) {
  problems.push((error as Error).message);
}

const podman = podmanMissing();
if (podman !== undefined) problems.push(podman);
else console.log('podman: found');

if (problems.length > 0) {
  console.error(`\nThe test suites need components that are missing:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log(`test components ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
