import { msg } from '@lit/localize';
import { html, nothing } from 'lit';
import { View } from '../base.ts';
import { Attempt } from '../attempt.ts';
import { field } from '../field.ts';
import { passkeyProof, type Proof } from './api.ts';
import { factorError } from './second-step.ts';

/**
 * "Confirm with a second factor" for an action that needs a fresh one (turning 2FA off, removing a factor, new
 * recovery codes): a code from the app or a recovery code in one field, or a passkey.
 */
export class FactorProof extends View {
  static override properties = {
    action: { attribute: false },
    passkeys: { attribute: false },
  };
  /** What the confirmation is for, as the button reads ("Turn off"). */
  declare action: string;
  /** Whether a passkey may confirm. */
  declare passkeys: boolean;
  /** The action under way and what it threw. */
  private readonly attempt = new Attempt(this);
  onProof: (proof: Proof) => Promise<void> = async () => undefined;
  onCancel: () => void = () => undefined;

  constructor() {
    super();
    this.passkeys = false;
  }

  override firstUpdated(): void {
    this.querySelector<HTMLInputElement>('#proof-code')?.focus();
  }

  private run(proof: () => Promise<Proof>): Promise<boolean> {
    return this.attempt.run(async () => this.onProof(await proof()));
  }

  private submit(event: SubmitEvent): void {
    event.preventDefault();
    const value = String(new FormData(event.currentTarget as HTMLFormElement).get('proof-code') ?? '').trim();
    // Six digits are an app code; anything else is tried as a recovery code.
    const digits = value.replace(/\s/g, '');
    void this.run(async () => (/^\d{6}$/.test(digits) ? { code: digits } : { recoveryCode: value }));
  }

  override render() {
    return html`<form
      class="factor-proof card"
      novalidate
      @submit=${this.submit}
      aria-busy=${this.attempt.busy ? 'true' : 'false'}
    >
      <p>${msg('Confirm it is you with a second factor.', { id: '2fa.proof.intro' })}</p>
      <div class="form-error" role="alert">${factorError(this.attempt.error)}</div>
      ${field({
        id: 'proof-code',
        label: msg('Authentication code or recovery code', { id: '2fa.proof.code' }),
        autocomplete: 'one-time-code',
        maxlength: 20,
        required: !this.passkeys,
      })}
      <div class="actions">
        <button type="submit" class="wa-brand" ?disabled=${this.attempt.busy}>${this.action}</button>
        ${
          this.passkeys
            ? html`<button
                type="button"
                class="wa-brand wa-outlined"
                ?disabled=${this.attempt.busy}
                @click=${() => void this.run(async () => ({ passkey: await passkeyProof() }))}
              >
                <wa-icon name="key-round" aria-hidden="true"></wa-icon>
                ${msg('Use a passkey', { id: '2fa.use-passkey' })}
              </button>`
            : nothing
        }
        <button type="button" class="wa-neutral wa-outlined" @click=${() => this.onCancel()}>
          ${msg('Cancel', { id: '2fa.cancel' })}
        </button>
      </div>
    </form>`;
  }
}
customElements.define('cf-factor-proof', FactorProof);
