// Run by `npm test` before ava: makes sure every real component the suites start is here, building what
// is missing with progress on the terminal, so no test waits silently on a build or skips for lack of one.
import { allBinaries, binaryVersion, chartsTools, lintTools, resolveBinary } from './binaries.ts';
import { chartsCrdDirs } from './charts-crds.ts';
import { chromiumPath } from './chromium.ts';
import { observabilityTools, prometheusOperatorCrds } from './prometheus-tools.ts';
import { BASE_IMAGES, ensureBaseImages, podmanMissing } from './containers.ts';
import { filebeatBinary } from '@cf/embedded/filebeat';
import { mailpitBinary } from '@cf/embedded/mailpit';
import { elasticsearchHome, openSearchClasspath } from '@cf/embedded/search-engines';
import { prepareNode } from './node/prepare-node.ts';
import { scratchSpaceProblem } from './process.ts';
import { ensureSchemathesis } from '../api-contract/schemathesis.ts';

const started = Date.now();
const problems: string[] = [];

// Before anything writes: the suites fill PostgreSQL, Vault, Elasticsearch and image layers on this disk.
const space = scratchSpaceProblem();
if (space !== undefined) problems.push(space);

for (const name of allBinaries) {
  try {
    const resolved = await resolveBinary(name, (line) => console.log(`  [${name}] ${line}`));
    console.log(`${name}: ${resolved.path} (${resolved.source}) — ${await binaryVersion(resolved.path)}`);
  } catch (error) {
    problems.push((error as Error).message);
  }
}

for (const name of [...chartsTools, ...lintTools]) {
  try {
    const resolved = await resolveBinary(name, (line) => console.log(`  [${name}] ${line}`));
    console.log(`${name}: ${resolved.path} (${resolved.source})`);
  } catch (error) {
    problems.push((error as Error).message);
  }
}

// The monitoring stack (Prometheus' cold build is long: ≈ 10–30 min, once per machine).
for (const name of observabilityTools) {
  try {
    const resolved = await resolveBinary(name, (line) => console.log(`  [${name}] ${line}`));
    console.log(`${name}: ${resolved.path} (${resolved.source})`);
  } catch (error) {
    problems.push((error as Error).message);
  }
}
try {
  const files = await prometheusOperatorCrds((line) => console.log(`  [crds] ${line}`));
  console.log(`prometheus-operator CRDs: ${files.length} files`);
} catch (error) {
  problems.push((error as Error).message);
}

try {
  const crds = await chartsCrdDirs((line) => console.log(`  [crds] ${line}`));
  console.log(`upstream CRDs: ${crds.map((c) => `${c.module}@${c.version}`).join(', ')}`);
} catch (error) {
  problems.push((error as Error).message);
}

// The logging suite's engines and shipper (test/logging): Maven Central and the Go module proxy, once per machine.
for (const [name, resolve] of [
  ['filebeat', filebeatBinary],
  // The SMTP server with an inbox that the account-link tests and `npm start` run.
  ['mailpit', mailpitBinary],
  ['elasticsearch', elasticsearchHome],
  ['opensearch', openSearchClasspath],
] as const) {
  try {
    const found = await resolve((line) => console.log(`  [${name}] ${line}`));
    console.log(`${name}: ${found.split(':')[0]}`);
  } catch (error) {
    problems.push((error as Error).message);
  }
}

// The API contract suite's fuzzer (test/api-contract): PyPI, into a venv outside the repository, once per machine.
try {
  console.log(`schemathesis: ${await ensureSchemathesis((line) => console.log(`  [schemathesis] ${line}`))}`);
} catch (error) {
  problems.push((error as Error).message);
}

try {
  console.log(`chromium: ${chromiumPath()}`);
} catch (error) {
  problems.push((error as Error).message);
}

const podman = podmanMissing();
if (podman !== undefined) problems.push(podman);
else {
  // Once per machine (about a minute): done here so concurrent container tests never race to build them.
  try {
    await ensureBaseImages((line) => console.log(`  [images] ${line}`));
    console.log(`container base images: ${Object.values(BASE_IMAGES).join(', ')}`);
  } catch (error) {
    problems.push((error as Error).message);
  }
}

// The real node's binaries and images (test/e2e): after the base images, which its probe pods use.
try {
  await prepareNode((line) => console.log(`  [node] ${line}`));
} catch (error) {
  problems.push((error as Error).message);
}

if (problems.length > 0) {
  console.error(`\nThe test suites need components that are missing:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log(`test components ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
