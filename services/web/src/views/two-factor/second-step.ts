import { msg } from '@lit/localize';
import { html, nothing, type TemplateResult } from 'lit';
import { ApiProblem, asProblem } from '../../api/problem.ts';
import type { SecondFactorStep } from '../../api/session.ts';
import { logo } from '../../design/logo.ts';
import { problemText, secondFactorText } from '../../i18n/problems.ts';
import { View, states } from '../base.ts';
import { Attempt } from '../attempt.ts';
import { field, submitButton } from '../field.ts';
import { preferences } from '../shell.ts';
import { completeStep, passkeyForStep } from './api.ts';
import '../retry-hint.ts';

/** The words for a failed second step: a refused factor or step, else the catalogue's general text. */
export function factorErrorText(error: unknown): string {
  if (!(error instanceof ApiProblem)) {
    // The browser's WebAuthn refusals (NotAllowedError: cancelled or timed out) are no server problem.
    return msg('The passkey was not used. Try again or choose another way.', { id: '2fa.passkey-cancelled' });
  }
  return secondFactorText(error) ?? problemText(error, 'load');
}

/**
 * A failed second factor as a danger callout ({@link factorErrorText}), or nothing while there is no error; the
 * caller's `role="alert"` container stays in place so the error is announced when it appears.
 */
export function factorError(error: unknown): TemplateResult | typeof nothing {
  if (error === undefined) return nothing;
  return html`<wa-callout variant="danger">
    <wa-icon slot="icon" name="circle-alert"></wa-icon>
    <span class="error-text">${factorErrorText(error)}</span>
  </wa-callout>`;
}

/**
 * The login's second step (issue 18): an authenticator code, a recovery code or a passkey completes the login the
 * password started. "Back" returns to the password form (the step simply expires).
 */
export class SecondFactorPage extends View {
  static override properties = { step: { attribute: false }, ...states('mode', 'fieldError') };
  declare step: SecondFactorStep;
  declare mode: 'totp' | 'recovery-code';
  declare fieldError: string | undefined;
  /** The action under way and what it threw. */
  private readonly attempt = new Attempt(this);
  /** Called by "Back to log in". */
  onCancel: () => void = () => undefined;

  constructor() {
    super();
    this.mode = 'totp';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.step.methods.includes('totp')) this.mode = 'recovery-code';
  }

  override firstUpdated(): void {
    this.querySelector<HTMLElement>('[data-page-heading]')?.focus();
  }

  /** Runs a step; after a refusal the code is selected, to be typed over. */
  private async run(action: () => Promise<void>): Promise<void> {
    if (await this.attempt.run(action)) return;
    await this.updateComplete;
    this.querySelector<HTMLInputElement>('input')?.select();
  }

  private submit(event: SubmitEvent): void {
    event.preventDefault();
    const value = String(new FormData(event.currentTarget as HTMLFormElement).get(this.inputId) ?? '').trim();
    this.fieldError = undefined;
    if (this.mode === 'totp' && !/^\d{6}$/.test(value.replace(/\s/g, ''))) {
      this.fieldError = msg('Enter the 6-digit code from your authenticator app.', { id: '2fa.v.code' });
    } else if (this.mode === 'recovery-code' && value.replace(/[\s-]/g, '').length !== 10) {
      this.fieldError = msg('Enter a recovery code like abcde-12345.', { id: '2fa.v.recovery' });
    }
    if (this.fieldError !== undefined) {
      void this.updateComplete.then(() => this.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
      return;
    }
    const proof = this.mode === 'totp' ? { code: value.replace(/\s/g, '') } : { recoveryCode: value };
    void this.run(() => completeStep(this.step.stepToken, proof));
  }

  private usePasskey(): void {
    void this.run(async () =>
      completeStep(this.step.stepToken, { passkey: await passkeyForStep(this.step.stepToken) }),
    );
  }

  private get inputId(): string {
    return this.mode === 'totp' ? 'totp-code' : 'recovery-code';
  }

  private switchMode(mode: 'totp' | 'recovery-code'): void {
    this.mode = mode;
    this.fieldError = undefined;
    this.attempt.error = undefined;
    void this.updateComplete.then(() => this.querySelector<HTMLInputElement>('input')?.focus());
  }

  override render() {
    const { methods } = this.step;
    const totp = this.mode === 'totp';
    const problem = this.attempt.error === undefined ? undefined : asProblem(this.attempt.error);
    return html`<main class="auth-page" id="main" tabindex="-1">
      <div class="auth-top">${preferences(() => this.requestUpdate())}</div>
      <section class="auth-card" aria-labelledby="second-factor-title">
        <div class="auth-brand">${logo()}</div>
        <h1 id="second-factor-title" tabindex="-1" data-page-heading>
          ${msg('Two-step verification', { id: '2fa.step.title' })}
        </h1>
        <p>
          ${
            totp
              ? msg('Enter the code your authenticator app shows for Content Factory.', { id: '2fa.step.totp-intro' })
              : msg('Enter one of the recovery codes you saved. Each works once.', { id: '2fa.step.recovery-intro' })
          }
        </p>
        <form novalidate @submit=${this.submit} aria-busy=${this.attempt.busy ? 'true' : 'false'}>
          <div class="form-error" role="alert">
            ${
              this.attempt.error !== undefined
                ? html`<wa-callout variant="danger">
                    <wa-icon slot="icon" name="circle-alert"></wa-icon>
                    <span class="error-text">${factorErrorText(this.attempt.error)}</span>
                    ${problem?.retryAfter !== undefined ? html` <cf-retry-hint .seconds=${problem.retryAfter}></cf-retry-hint>` : nothing}
                  </wa-callout>`
                : nothing
            }
          </div>
          ${
            totp
              ? field({
                  id: 'totp-code',
                  label: msg('Authentication code', { id: '2fa.code' }),
                  autocomplete: 'one-time-code',
                  inputmode: 'numeric',
                  maxlength: 7,
                  error: this.fieldError,
                })
              : field({
                  id: 'recovery-code',
                  label: msg('Recovery code', { id: '2fa.recovery-code' }),
                  autocomplete: 'off',
                  maxlength: 20,
                  error: this.fieldError,
                })
          }
          ${submitButton(msg('Verify', { id: '2fa.verify' }), this.attempt.busy, 'submit')}
        </form>
        <div class="actions second-factor-alternatives">
          ${
            methods.includes('passkey')
              ? html`<button
                  type="button"
                  class="wa-brand wa-outlined"
                  ?disabled=${this.attempt.busy}
                  @click=${this.usePasskey}
                >
                  <wa-icon name="key-round" aria-hidden="true"></wa-icon>
                  ${msg('Use a passkey', { id: '2fa.use-passkey' })}
                </button>`
              : nothing
          }
          ${
            totp && methods.includes('recovery-code')
              ? html`<button type="button" class="link-button" @click=${() => this.switchMode('recovery-code')}>
                  ${msg('Use a recovery code', { id: '2fa.use-recovery' })}
                </button>`
              : nothing
          }
          ${
            !totp && methods.includes('totp')
              ? html`<button type="button" class="link-button" @click=${() => this.switchMode('totp')}>
                  ${msg('Use your authenticator app', { id: '2fa.use-totp' })}
                </button>`
              : nothing
          }
        </div>
        <p class="switch">
          <button type="button" class="link-button" @click=${() => this.onCancel()}>
            ${msg('Back to log in', { id: '2fa.back' })}
          </button>
        </p>
      </section>
    </main>`;
  }
}
customElements.define('cf-second-factor', SecondFactorPage);
