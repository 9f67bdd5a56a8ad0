import { msg } from '@lit/localize';
import { html, nothing, type TemplateResult } from 'lit';
import { asProblem } from '../api/problem.ts';
import { problemText, type ProblemContext } from '../i18n/problems.ts';
import './retry-hint.ts';

/** Loading: skeleton rows shaped like the content to come, announced once as busy. */
export function loading(rows = 3): TemplateResult {
  return html`<div class="skeletons" aria-busy="true" role="status">
    <span class="visually-hidden">${msg('Loading…', { id: 'state.loading' })}</span>
    ${Array.from({ length: rows }, () => html`<wa-skeleton effect="sheen" class="skeleton-row"></wa-skeleton>`)}
  </div>`;
}

/** Empty: what is missing and the next action. */
export function empty(icon: string, title: string, next: TemplateResult | typeof nothing = nothing): TemplateResult {
  return html`<div class="empty-state" data-testid="empty">
    <wa-icon name=${icon} aria-hidden="true"></wa-icon>
    <p class="empty-title">${title}</p>
    ${next}
  </div>`;
}

/** Error: the catalogue's words, a retry hint when the server named a wait, and Retry. */
export function failure(error: unknown, context: ProblemContext, retry?: () => void): TemplateResult {
  const problem = asProblem(error);
  return html`<wa-callout variant="danger" role="alert" data-testid="error">
    <wa-icon slot="icon" name="circle-alert"></wa-icon>
    <span class="error-text">${problemText(problem, context)}</span>
    ${problem.retryAfter !== undefined ? html` <cf-retry-hint .seconds=${problem.retryAfter}></cf-retry-hint>` : nothing}
    ${
      retry
        ? html`<div class="callout-actions">
            <wa-button size="s" variant="danger" appearance="outlined" @click=${retry}>
              <wa-icon slot="start" name="refresh-cw"></wa-icon>${msg('Retry', { id: 'state.retry' })}
            </wa-button>
          </div>`
        : nothing
    }
  </wa-callout>`;
}

/** Page heading: focus target after navigation (tabindex -1, outline only when focused by us). */
export function heading(text: string, subtitle?: string): TemplateResult {
  return html`<header class="page-header">
    <h1 tabindex="-1" data-page-heading>${text}</h1>
    ${subtitle ? html`<p class="page-subtitle">${subtitle}</p>` : nothing}
  </header>`;
}
