import { msg } from '@lit/localize';
import type { Task } from '@lit/task';
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

/** What {@link taskView} needs of a `@lit/task` Task, whatever its arguments. */
interface Loadable<R> {
  render: Task<readonly unknown[], R>['render'];
  run(): Promise<void>;
  readonly value?: R | undefined;
}

/**
 * One load drawn in the house's four states: `rows` skeleton rows before a value, the catalogue's error
 * (`context`, default `load`) with a Retry that runs the task again, and `complete` for the value (which
 * draws the empty state itself, since only it knows what empty means). With `keep`, a reload shows the
 * previous value instead of the skeleton, so a list refreshed after an action or by polling does not flash.
 */
export function taskView<R>(
  task: Loadable<R>,
  complete: (value: R) => unknown,
  options: { rows?: number; keep?: boolean; context?: ProblemContext } = {},
): unknown {
  const skeleton = () => loading(options.rows ?? 3);
  return task.render({
    initial: skeleton,
    pending: () => (options.keep && task.value !== undefined ? complete(task.value) : skeleton()),
    error: (error) => failure(error, options.context ?? 'load', () => void task.run()),
    complete,
  });
}
