// `npm run bench`: every benchmark under bench/, one after another (they measure time; running them in
// parallel would measure each other).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv[2];
const benches = readdirSync(dir).filter((file) => file.endsWith('.ts') && !['run.ts', 'stats.ts'].includes(file));
let failed = false;
for (const file of benches.filter((name) => only === undefined || name.startsWith(only))) {
  console.log(`\n== ${file}`);
  const result = spawnSync(process.execPath, [`${dir}${file}`], { stdio: 'inherit' });
  failed ||= result.status !== 0;
}
process.exit(failed ? 1 : 0);
