// Regenerates src/api/generated/schema.ts from a running gateway's aggregated OpenAPI document.
// Usage: node services/web/scripts/generate-api-client.ts [http://localhost:8080]  (npm start's gateway)
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { GENERATED_CLIENT, renderClientTypes } from './api-client.ts';

const origin = process.argv[2] ?? 'http://localhost:8080';
const response = await fetch(`${origin}/api/openapi.json`, { signal: AbortSignal.timeout(10_000) });
if (!response.ok) throw new Error(`GET ${origin}/api/openapi.json answered ${response.status}`);
const document = (await response.json()) as Record<string, unknown>;
const info = document['info'] as { description?: string } | undefined;
if (info?.description?.startsWith('Not included') === true)
  throw new Error(`the gateway's document is incomplete: ${info.description}`);
const target = fileURLToPath(new URL(`../${GENERATED_CLIENT}`, import.meta.url));
await writeFile(target, await renderClientTypes(document));
console.log(`wrote ${target}`);
