// `npm run synth` (= `node charts-ts/src/main.ts --allow-placeholders`): writes the reference manifests/dev and
// manifests/prod, one file per chart, byte-for-byte deterministic. A real deployment renders its own prod:
//   CF_IMAGE_REGISTRY=… CF_IMAGE_TAG=… CF_API_SERVER_CIDRS=… node charts-ts/src/main.ts --profile prod --out DIR
// which refuses to run while a placeholder is left (CF_ALLOW_PLACEHOLDERS=1 or --allow-placeholders overrides).
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { profiles, withEnvironment } from './profile.ts';
import { synthAll } from './synth.ts';

const { values } = parseArgs({
  options: {
    'allow-placeholders': { type: 'boolean', default: false },
    profile: { type: 'string' },
    out: { type: 'string' },
  },
});
const root = values.out ?? fileURLToPath(new URL('../../manifests/', import.meta.url));
// The environment is read only for a named profile, so `npm run synth` renders the same bytes everywhere.
const selected =
  values.profile === undefined
    ? profiles
    : profiles.filter((p) => p.name === values.profile).map((p) => withEnvironment(p, process.env));
if (selected.length === 0) throw new Error(`unknown profile ${values.profile}`);
const started = performance.now();
const files = synthAll(root, selected, {
  allowPlaceholders: values['allow-placeholders'] || process.env['CF_ALLOW_PLACEHOLDERS'] === '1',
});
console.log(`synthesized ${files.length} files in ${((performance.now() - started) / 1000).toFixed(2)} s`);
