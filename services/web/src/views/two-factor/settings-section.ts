import { msg, str } from '@lit/localize';
import { html, nothing, type TemplateResult } from 'lit';
import { View, states } from '../base.ts';
import { Attempt } from '../attempt.ts';
import { field } from '../field.ts';
import { failure, loading } from '../states.ts';
import { notify } from '../toast.ts';
import * as twoFactor from './api.ts';
import { factorError } from './second-step.ts';
import './proof-form.ts';

type Confirming = 'disable' | 'remove-totp' | 'regenerate' | { passkey: string };

/**
 * The security settings' two-step verification and passkeys section (issue 18): set up an authenticator app (QR
 * code), see and renew recovery codes (shown once), add and remove passkeys, turn 2FA off. Removing a factor or
 * turning 2FA off asks for a fresh second factor (the server insists too).
 */
export class TwoFactorSettings extends View {
  static override properties = states('state', 'loadError', 'enrolment', 'codes', 'confirming');
  declare state: twoFactor.TwoFactorState | undefined;
  declare loadError: unknown;
  declare enrolment: { secret: string; qrCode: string } | undefined;
  /** Recovery codes just issued: shown once, until dismissed. */
  declare codes: string[] | undefined;
  declare confirming: Confirming | undefined;
  /** The action under way and what it threw. */
  private readonly attempt = new Attempt(this);

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    this.loadError = undefined;
    try {
      this.state = await twoFactor.twoFactorState();
    } catch (error) {
      this.loadError = error;
    }
  }

  /** Runs a change, shows its error in the section, reloads the state. */
  private run(action: () => Promise<void>): Promise<boolean> {
    return this.attempt.run(async () => {
      await action();
      await this.load();
    });
  }

  private confirmTotp(event: SubmitEvent): void {
    event.preventDefault();
    const code = String(new FormData(event.currentTarget as HTMLFormElement).get('totp-confirm-code') ?? '');
    void this.run(async () => {
      const codes = await twoFactor.confirmTotp(code.replace(/\s/g, ''));
      this.enrolment = undefined;
      if (codes.length > 0) this.codes = codes;
      notify(msg('Authenticator app set up.', { id: '2fa.totp-done' }));
    });
  }

  private addPasskey(event: SubmitEvent): void {
    event.preventDefault();
    const name = String(new FormData(event.currentTarget as HTMLFormElement).get('passkey-name') ?? '').trim();
    void this.run(async () => {
      const codes = await twoFactor.addPasskey(name || undefined);
      if (codes.length > 0) this.codes = codes;
      notify(msg('Passkey added.', { id: '2fa.passkey-added' }));
    });
  }

  /** What a confirmed action does with the proof; the proof form shows its errors itself. */
  private async confirmed(proof: twoFactor.Proof): Promise<void> {
    const what = this.confirming;
    if (what === 'disable') await twoFactor.disableTwoFactor(proof);
    else if (what === 'remove-totp') await twoFactor.removeTotp(proof);
    else if (what === 'regenerate') this.codes = await twoFactor.newRecoveryCodes(proof);
    else if (what !== undefined) await twoFactor.removePasskey(what.passkey, proof);
    this.confirming = undefined;
    await this.load();
  }

  private proofForm(action: string): TemplateResult {
    return html`<cf-factor-proof
      .action=${action}
      .passkeys=${(this.state?.passkeys.length ?? 0) > 0}
      .onProof=${(proof: twoFactor.Proof) => this.confirmed(proof)}
      .onCancel=${() => (this.confirming = undefined)}
    ></cf-factor-proof>`;
  }

  private codesPanel(): TemplateResult | typeof nothing {
    if (this.codes === undefined) return nothing;
    return html`<div class="card recovery-codes" data-testid="recovery-codes">
      <h3>${msg('Your recovery codes', { id: '2fa.codes.title' })}</h3>
      <p>
        ${msg('Each code logs you in once if you lose your authenticator. They are shown only now: save them somewhere safe.', { id: '2fa.codes.intro' })}
      </p>
      <ul class="code-list">
        ${this.codes.map((code) => html`<li><code>${code}</code></li>`)}
      </ul>
      <button type="button" class="wa-brand" @click=${() => (this.codes = undefined)}>
        ${msg('I have saved them', { id: '2fa.codes.saved' })}
      </button>
    </div>`;
  }

  /**
   * A change that needs a fresh second factor (the server asks for one too): a button that, pressed, becomes
   * the proof form for `what`, confirming with the same words.
   */
  private guarded(what: Confirming, label: string, className: string, testid?: string): TemplateResult {
    if (this.confirming === what) return this.proofForm(label);
    return html`<button
      type="button"
      class=${className}
      data-testid=${testid ?? nothing}
      @click=${() => (this.confirming = what)}
    >
      ${label}
    </button>`;
  }

  private totpPart(state: twoFactor.TwoFactorState): TemplateResult {
    if (state.totp) {
      return html`<p data-testid="totp-status">${msg('An authenticator app is set up.', { id: '2fa.totp-on' })}</p>
        ${this.guarded('remove-totp', msg('Remove the app', { id: '2fa.totp-remove' }), 'wa-danger wa-outlined')}`;
    }
    if (this.enrolment === undefined) {
      return html`<button
        type="button"
        class="wa-brand"
        data-testid="totp-setup"
        ?disabled=${this.attempt.busy}
        @click=${() => void this.run(async () => void (this.enrolment = await twoFactor.enrolTotp()))}
      >
        ${msg('Set up an authenticator app', { id: '2fa.totp-setup' })}
      </button>`;
    }
    return html`<form class="totp-enrolment" novalidate @submit=${this.confirmTotp}>
      <p>
        ${msg('Scan this code with your authenticator app, then enter the code it shows.', { id: '2fa.totp-scan' })}
      </p>
      <img
        class="totp-qr"
        src=${this.enrolment.qrCode}
        width="200"
        height="200"
        alt=${msg('QR code for your authenticator app', { id: '2fa.totp-qr' })}
      />
      <p>
        ${msg('Cannot scan? Enter this key:', { id: '2fa.totp-key' })}
        <code data-testid="totp-secret">${this.enrolment.secret}</code>
      </p>
      ${field({
        id: 'totp-confirm-code',
        label: msg('Authentication code', { id: '2fa.code' }),
        autocomplete: 'one-time-code',
        inputmode: 'numeric',
        maxlength: 7,
      })}
      <div class="actions">
        <button type="submit" class="wa-brand" ?disabled=${this.attempt.busy}>
          ${msg('Confirm', { id: '2fa.confirm' })}
        </button>
        <button type="button" class="wa-neutral wa-outlined" @click=${() => (this.enrolment = undefined)}>
          ${msg('Cancel', { id: '2fa.cancel' })}
        </button>
      </div>
    </form>`;
  }

  private passkeysPart(state: twoFactor.TwoFactorState): TemplateResult {
    const removing = (id: string) => typeof this.confirming === 'object' && this.confirming.passkey === id;
    return html`<h3 id="passkeys-title">${msg('Passkeys', { id: '2fa.passkeys' })}</h3>
      <p>
        ${msg('A passkey logs you in without a password, or confirms a password login.', { id: '2fa.passkeys-intro' })}
      </p>
      <ul class="passkey-list" aria-labelledby="passkeys-title" data-testid="passkeys">
        ${state.passkeys.map(
          (passkey) =>
            html`<li>
              <span>${passkey.name}</span>
              <span class="hint"
                >${msg(str`Added ${new Date(passkey.createdAt).toLocaleDateString()}`, { id: '2fa.passkey-added-on' })}</span
              >
              ${
                removing(passkey.id)
                  ? this.proofForm(msg('Remove the passkey', { id: '2fa.passkey-remove' }))
                  : html`<button
                      type="button"
                      class="wa-danger wa-outlined"
                      @click=${() => (this.confirming = { passkey: passkey.id })}
                    >
                      ${msg('Remove', { id: '2fa.remove' })}<span class="visually-hidden"> ${passkey.name}</span>
                    </button>`
              }
            </li>`,
        )}
      </ul>
      <form class="passkey-add" novalidate @submit=${this.addPasskey}>
        ${field({ id: 'passkey-name', label: msg('Name (optional)', { id: '2fa.passkey-name' }), maxlength: 80, required: false })}
        <button type="submit" class="wa-brand" data-testid="passkey-add" ?disabled=${this.attempt.busy}>
          <wa-icon name="key-round" aria-hidden="true"></wa-icon> ${msg('Add a passkey', { id: '2fa.passkey-add' })}
        </button>
      </form>`;
  }

  override render() {
    const state = this.state;
    return html`<section class="card two-factor-settings" aria-labelledby="two-factor-title">
      <h2 id="two-factor-title">${msg('Two-step verification', { id: '2fa.step.title' })}</h2>
      ${this.loadError !== undefined ? failure(this.loadError, 'load', () => void this.load()) : nothing}
      ${state === undefined && this.loadError === undefined ? loading(2) : nothing}
      ${
        state === undefined
          ? nothing
          : html`<p data-testid="two-factor-status">
                ${
                  state.enabled
                    ? msg('On: logging in needs a second factor.', { id: '2fa.on' })
                    : msg('Off: logging in needs only your password.', { id: '2fa.off' })
                }
              </p>
              <div class="form-error" role="alert">${factorError(this.attempt.error)}</div>
              ${this.codesPanel()}
              <h3>${msg('Authenticator app', { id: '2fa.totp' })}</h3>
              ${this.totpPart(state)}
              ${
                state.enabled
                  ? html`<h3>${msg('Recovery codes', { id: '2fa.codes' })}</h3>
                      <p data-testid="codes-left">
                        ${msg(str`${state.recoveryCodesLeft} unused recovery codes left.`, { id: '2fa.codes-left' })}
                      </p>
                      ${this.guarded(
                        'regenerate',
                        msg('Get new codes', { id: '2fa.codes-new' }),
                        'wa-neutral wa-outlined',
                      )}`
                  : nothing
              }
              ${this.passkeysPart(state)}
              ${
                state.enabled
                  ? html`<h3>${msg('Turn off', { id: '2fa.disable-title' })}</h3>
                      ${this.guarded(
                        'disable',
                        msg('Turn off two-step verification', { id: '2fa.disable' }),
                        'wa-danger wa-outlined',
                        'two-factor-disable',
                      )}`
                  : nothing
              }`
      }
    </section>`;
  }
}
customElements.define('cf-two-factor-settings', TwoFactorSettings);

/** The section as the security settings page mounts it. */
export function twoFactorSection(): TemplateResult {
  return html`<cf-two-factor-settings></cf-two-factor-settings>`;
}
