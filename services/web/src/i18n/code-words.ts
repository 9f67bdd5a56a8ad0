import { msg } from '@lit/localize';

/**
 * A catalogue text as an entry of a table keyed by a code (an API enum, a server's error kind, an audit event
 * name): its msg() runs each time the entry is read, so the words follow the language chosen by then.
 * test/web/i18n.test.ts reads phrase() calls as it reads msg() calls, so both arguments stay literals.
 */
export function phrase(english: string, id: string): () => string {
  return () => msg(english, { id });
}

/** Words for each value of a code; values that read the same share one phrase. */
export type Phrases<Code extends string = string> = Readonly<Record<Code, () => string>>;

/** `table`'s entry for `code`; `otherwise` for a code it does not name (none, or one from a newer server). */
export function entryFor<Code extends string, Entry, Otherwise = Entry>(
  table: Readonly<Record<Code, Entry>>,
  code: string | null | undefined,
  otherwise: Otherwise,
): Entry | Otherwise {
  return code !== null && code !== undefined && Object.hasOwn(table, code) ? table[code as Code] : otherwise;
}

/** A status badge as a table holds it: its words and its colour. */
export interface BadgeEntry<Variant extends string> {
  text: () => string;
  variant: Variant;
}

/** The badge for `code` (`otherwise` for a code the table does not name), its words in the current language. */
export function badgeFor<Code extends string, Variant extends string>(
  table: Readonly<Record<Code, BadgeEntry<Variant>>>,
  code: string,
  otherwise: BadgeEntry<Variant>,
): { text: string; variant: Variant } {
  const { text, variant } = entryFor(table, code, otherwise);
  return { text: text(), variant };
}
