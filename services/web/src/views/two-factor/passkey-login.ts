import { msg } from '@lit/localize';
import { html, nothing } from 'lit';
import { View } from '../base.ts';
import { Attempt } from '../attempt.ts';
import { loginWithPasskey } from './api.ts';
import { factorError } from './second-step.ts';

/**
 * "Continue with a passkey" under the password form: passwordless login with any discoverable passkey of this site
 * (issue 18). Hidden where the browser has no WebAuthn.
 */
export class PasskeyLogin extends View {
  /** The action under way and what it threw. */
  private readonly attempt = new Attempt(this);

  private start(): Promise<boolean> {
    return this.attempt.run(loginWithPasskey);
  }

  override render() {
    if (typeof window.PublicKeyCredential !== 'function') return nothing;
    return html`<div class="passkey-login">
      <p class="form-error" role="alert">${factorError(this.attempt.error)}</p>
      <button
        type="button"
        class="wa-brand wa-outlined submit-button"
        data-testid="passkey-login"
        ?disabled=${this.attempt.busy}
        aria-busy=${this.attempt.busy ? 'true' : 'false'}
        @click=${() => void this.start()}
      >
        <wa-icon name="key-round" aria-hidden="true"></wa-icon>
        ${msg('Continue with a passkey', { id: '2fa.passkey-login' })}
      </button>
    </div>`;
  }
}
customElements.define('cf-passkey-login', PasskeyLogin);
