import { html, type TemplateResult } from 'lit';

/** Where a page stands in a paged list, all 1-based; `first` and `last` are 0 when the list is empty. */
export interface PagePosition {
  page: number;
  pages: number;
  first: number;
  last: number;
  total: number;
}

/** A pager's words, each from its page's own catalogue entries (a log says Newer/Older, a list Previous/Next). */
export interface PagerWords {
  label: string;
  previous: string;
  next: string;
  position: (at: PagePosition) => string;
}

/** The position of `page` (1-based) in a list of `total` items shown `size` to a page (at least one page). */
export function pagePosition(page: number, total: number, size: number): PagePosition {
  return {
    page,
    pages: Math.max(1, Math.ceil(total / size)),
    first: total === 0 ? 0 : (page - 1) * size + 1,
    last: Math.min(total, page * size),
    total,
  };
}

/**
 * Previous and next buttons around "Page 2 of 5 · 21–40 of 93" (read out politely when it changes); `go`
 * receives the page asked for, never outside 1…pages (the buttons at an end are disabled).
 */
export function pager(at: PagePosition, words: PagerWords, go: (page: number) => void): TemplateResult {
  return html`<nav class="pager" aria-label=${words.label}>
    <wa-button appearance="outlined" size="s" ?disabled=${at.page <= 1} @click=${() => go(at.page - 1)}>
      <wa-icon slot="start" name="arrow-left"></wa-icon>${words.previous}
    </wa-button>
    <span class="pager-position" data-testid="position" aria-live="polite">${words.position(at)}</span>
    <wa-button appearance="outlined" size="s" ?disabled=${at.page >= at.pages} @click=${() => go(at.page + 1)}>
      ${words.next}<wa-icon slot="end" name="arrow-right"></wa-icon>
    </wa-button>
  </nav>`;
}
