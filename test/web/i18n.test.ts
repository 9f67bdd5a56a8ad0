import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../../services/web/src', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/**
 * Every msg() id in the UI's source with the number of ${…} placeholders of its English template, and every
 * phrase('English', 'id') one (src/i18n/code-words.ts: a msg() call for a table entry, without placeholders).
 */
function messageIds(): Map<string, number> {
  const ids = new Map<string, number>();
  for (const file of sources(src)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/msg\(\s*(str`([^`]*)`|'[^']*'|"[^"]*")\s*,\s*\{\s*id:\s*'([^']+)'/g)) {
      ids.set(match[3]!, (match[2]?.match(/\$\{/g) ?? []).length);
    }
    for (const match of text.matchAll(/\bphrase\(\s*(?:'[^']*'|"[^"]*")\s*,\s*'([^']+)'\s*,?\s*\)/g)) {
      ids.set(match[1]!, 0);
    }
  }
  return ids;
}

test('every English message has a Russian template with the same placeholders', async (t) => {
  const { templates } = (await import('../../services/web/src/i18n/ru.ts')) as {
    templates: Record<string, string | { strings: readonly string[]; values: unknown[] }>;
  };
  const ids = messageIds();
  t.true(ids.size > 100, `found ${ids.size} messages`);
  const missing = [...ids.keys()].filter((id) => templates[id] === undefined);
  t.deepEqual(missing, []);
  const mismatched = [...ids].filter(([id, placeholders]) => {
    const template = templates[id];
    const count = typeof template === 'string' || template === undefined ? 0 : template.strings.length - 1;
    return template !== undefined && count !== placeholders;
  });
  t.deepEqual(mismatched, []);
  const unused = Object.keys(templates).filter((id) => !ids.has(id));
  t.deepEqual(unused, [], 'no stale Russian templates');
});
