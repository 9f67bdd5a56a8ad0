// `npm run synth`: writes manifests/dev/ and manifests/prod/, one file per chart, byte-for-byte deterministic.
import { fileURLToPath } from 'node:url';
import { synthAll } from './synth.ts';

const root = fileURLToPath(new URL('../../manifests/', import.meta.url));
const started = performance.now();
const files = synthAll(root);
console.log(`synthesized ${files.length} files in ${((performance.now() - started) / 1000).toFixed(2)} s`);
