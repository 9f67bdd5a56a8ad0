import { msg } from '@lit/localize';
import { html, nothing } from 'lit';
import { View } from '../base.ts';
import { loginWithPasskey } from './api.ts';
import { factorErrorText } from './second-step.ts';

/**
 * "Continue with a passkey" under the password form: passwordless login with any discoverable passkey of this site
 * (issue 18). Hidden where the browser has no WebAuthn.
 */
export class PasskeyLogin extends View {
  static override properties = { busy: { state: true }, error: { state: true } };
  declare busy: boolean;
  declare error: unknown;

  constructor() {
    super();
    this.busy = false;
    this.error = undefined;
  }

  private async start(): Promise<void> {
    this.busy = true;
    this.error = undefined;
    try {
      await loginWithPasskey();
    } catch (error) {
      this.error = error;
    } finally {
      this.busy = false;
    }
  }

  override render() {
    if (typeof window.PublicKeyCredential !== 'function') return nothing;
    return html`<div class="passkey-login">
      <p class="form-error" role="alert">
        ${
          this.error !== undefined
            ? html`<wa-callout variant="danger">
                <wa-icon slot="icon" name="circle-alert"></wa-icon>
                <span class="error-text">${factorErrorText(this.error)}</span>
              </wa-callout>`
            : nothing
        }
      </p>
      <button
        type="button"
        class="wa-brand wa-outlined submit-button"
        data-testid="passkey-login"
        ?disabled=${this.busy}
        aria-busy=${this.busy ? 'true' : 'false'}
        @click=${() => void this.start()}
      >
        <wa-icon name="key-round" aria-hidden="true"></wa-icon>
        ${msg('Continue with a passkey', { id: '2fa.passkey-login' })}
      </button>
    </div>`;
  }
}
customElements.define('cf-passkey-login', PasskeyLogin);
