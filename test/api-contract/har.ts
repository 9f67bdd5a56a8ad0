import { readFileSync } from 'node:fs';
import { METHODS, type OpenApiDocument } from './documents.ts';

interface HarEntry {
  request: { method: string; url: string };
  response: { status: number };
}

/** A document path template as a matcher; literal segments count, so `/logins/qr` wins over `/logins/{id}`. */
function templates(document: OpenApiDocument): { path: string; pattern: RegExp; params: number }[] {
  return Object.keys(document.paths)
    .map((path) => ({
      path,
      pattern: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+')}$`),
      params: (path.match(/\{/g) ?? []).length,
    }))
    .sort((a, b) => a.params - b.params);
}

/**
 * The statuses each operation answered in a Schemathesis HAR report (`--report har`), by operationId.
 * Requests to paths or methods the document does not name (the unsupported-method probes) are left out.
 */
export function answersByOperation(harFile: string, document: OpenApiDocument): Map<string, number[]> {
  const har = JSON.parse(readFileSync(harFile, 'utf8')) as { log: { entries: HarEntry[] } };
  const matchers = templates(document);
  const answers = new Map<string, number[]>();
  for (const entry of har.log.entries) {
    const method = entry.request.method.toLowerCase();
    if (!(METHODS as readonly string[]).includes(method)) continue;
    const path = new URL(entry.request.url).pathname;
    const template = matchers.find((candidate) => candidate.pattern.test(path));
    const operationId = template && document.paths[template.path]?.[method]?.operationId;
    if (operationId === undefined) continue;
    answers.set(operationId, [...(answers.get(operationId) ?? []), entry.response.status]);
  }
  return answers;
}

/** The operations that answered at least one 2xx. */
export function succeeded(answers: ReadonlyMap<string, number[]>): string[] {
  return [...answers]
    .filter(([, statuses]) => statuses.some((status) => status >= 200 && status < 300))
    .map(([id]) => id);
}
