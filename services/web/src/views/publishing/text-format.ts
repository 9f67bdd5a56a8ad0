import { html, type TemplateResult } from 'lit';
import { html as staticHtml, literal, type StaticValue } from 'lit/static-html.js';
import type { Entity } from './api.ts';

/**
 * The composer's light markup → Telegram text + entities, and entities → a preview built from Lit
 * templates (every piece of the user's text is bound as text, never as HTML).
 *
 * Markup: `**bold**`, `__italic__`, `` `code` ``, `[label](https://…)`. Offsets and lengths are in UTF-16
 * code units, as Telegram's MessageEntity counts them (core.telegram.org/api/entities) — the same units
 * as JavaScript string indices.
 */
const MARKUP = /\*\*([^*]+?)\*\*|__([^_]+?)__|`([^`\n]+?)`|\[([^\]\n]+?)\]\(((?:https?|tg):\/\/[^)\s]+)\)/gu;

export function parseMarkup(source: string): { text: string; entities: Entity[] } {
  let text = '';
  const entities: Entity[] = [];
  let last = 0;
  for (const match of source.matchAll(MARKUP)) {
    text += source.slice(last, match.index);
    const [, bold, italic, code, label, url] = match;
    const inner = bold ?? italic ?? code ?? label ?? '';
    const type =
      bold !== undefined ? 'bold' : italic !== undefined ? 'italic' : code !== undefined ? 'code' : 'text_link';
    entities.push({ type, offset: text.length, length: inner.length, ...(url !== undefined ? { url } : {}) });
    text += inner;
    last = match.index + match[0].length;
  }
  text += source.slice(last);
  return { text, entities };
}

/** The markup that parses back to `text` + `entities` (to edit a post); entities this composer cannot write stay plain. */
export function toMarkup(text: string, entities: readonly Entity[]): string {
  let out = '';
  let at = 0;
  for (const entity of [...entities].sort((a, b) => a.offset - b.offset)) {
    if (entity.offset < at) continue; // nested or overlapping: keep the text, drop the style
    const inner = text.slice(entity.offset, entity.offset + entity.length);
    out += text.slice(at, entity.offset);
    switch (entity.type) {
      case 'bold':
        out += `**${inner}**`;
        break;
      case 'italic':
        out += `__${inner}__`;
        break;
      case 'code':
        out += `\`${inner}\``;
        break;
      case 'text_link':
        out += entity.url !== undefined ? `[${inner}](${entity.url})` : inner;
        break;
      default:
        out += inner;
    }
    at = entity.offset + entity.length;
  }
  return out + text.slice(at);
}

/** The element each plain style is drawn with (Telegram's own rendering); others are a link or a spoiler. */
const STYLE_TAGS: Partial<Record<Entity['type'], StaticValue>> = {
  bold: literal`strong`,
  italic: literal`em`,
  underline: literal`u`,
  strikethrough: literal`s`,
  code: literal`code`,
  pre: literal`pre`,
};

function styled(entity: Entity, inner: string): TemplateResult {
  const tag = STYLE_TAGS[entity.type];
  if (tag !== undefined) return staticHtml`<${tag}>${inner}</${tag}>`;
  if (entity.type === 'text_link')
    // Only http(s) and tg URLs reach here (the markup and the API both refuse any other scheme).
    return /^(https?|tg):/u.test(entity.url ?? '')
      ? html`<a href=${entity.url ?? ''} target="_blank" rel="noopener noreferrer">${inner}</a>`
      : html`${inner}`;
  return html`<span class="spoiler">${inner}</span>`;
}

/** The text as Telegram will show it: plain pieces and styled pieces, all bound as text. */
export function preview(text: string, entities: readonly Entity[]): TemplateResult[] {
  const parts: TemplateResult[] = [];
  let at = 0;
  for (const entity of [...entities].sort((a, b) => a.offset - b.offset)) {
    if (entity.offset < at) continue;
    parts.push(html`${text.slice(at, entity.offset)}`);
    parts.push(styled(entity, text.slice(entity.offset, entity.offset + entity.length)));
    at = entity.offset + entity.length;
  }
  parts.push(html`${text.slice(at)}`);
  return parts;
}
