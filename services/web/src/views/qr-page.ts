import { msg } from '@lit/localize';
import { html } from 'lit';
import { ApiProblem, asProblem } from '../api/problem.ts';
import { forgetLogin, pendingLogin, rememberLogin } from '../pending-login.ts';
import { routes } from '../routes.ts';
import { telegram, type LoginState } from '../telegram.ts';
import { View, states } from './base.ts';
import { field, submitButton } from './field.ts';
import { failure, heading, loading } from './states.ts';
import { notify } from './toast.ts';

const POLL_MS = 1500;

/**
 * QR login: shows the code, polls the login's state, shows the renewed code, asks for the two-step
 * password when needed. A refusal (e.g. 429 with Retry-After) is an error with a countdown and Retry —
 * never an endless "preparing". The pending login resumes after navigation or reload and can be cancelled.
 */
export class QrPage extends View {
  static override properties = states('login', 'problem', 'busy', 'cancelled', 'passwordError');
  declare login: LoginState | undefined;
  declare problem: unknown;
  declare busy: boolean;
  declare cancelled: boolean;
  declare passwordError: string | undefined;
  private poller: ReturnType<typeof setTimeout> | undefined;
  private alive = false;

  constructor() {
    super();
    this.busy = false;
    this.cancelled = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.alive = true;
    const pending = pendingLogin('qr');
    void (pending ? this.follow(pending.loginId) : this.start());
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.alive = false;
    clearTimeout(this.poller);
  }

  private async start(): Promise<void> {
    clearTimeout(this.poller);
    this.problem = undefined;
    this.cancelled = false;
    this.login = undefined;
    try {
      const login = await telegram.startQr();
      rememberLogin({ loginId: login.loginId, method: 'qr' });
      this.show(login);
    } catch (error) {
      this.problem = error;
    }
  }

  private async follow(loginId: string): Promise<void> {
    try {
      this.show(await telegram.login(loginId));
    } catch (error) {
      if (asProblem(error).status === 404) {
        forgetLogin();
        return this.start();
      }
      this.problem = error;
    }
  }

  private show(login: LoginState): void {
    this.login = login;
    this.problem = undefined;
    if (login.state === 'connected') {
      forgetLogin();
      notify(msg('The Telegram account is connected.', { id: 'tg.connected-toast' }));
      return;
    }
    if (login.state === 'expired') {
      forgetLogin();
      void this.start();
      return;
    }
    if (login.state === 'failed') {
      forgetLogin();
      return;
    }
    if (this.alive && login.state === 'waiting')
      this.poller = setTimeout(() => void this.follow(login.loginId), POLL_MS);
  }

  /** Ends the pending login at the server without waiting; one whose cancel fails expires there on its own. */
  private cancel(): void {
    clearTimeout(this.poller);
    if (this.login !== undefined) void telegram.cancel(this.login.loginId).catch(() => undefined);
    forgetLogin();
    this.login = undefined;
    this.cancelled = true;
  }

  private async submitPassword(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const password = String(new FormData(event.currentTarget as HTMLFormElement).get('qr-password') ?? '');
    if (this.login === undefined) return;
    if (password === '') {
      this.passwordError = msg('Enter your Telegram two-step verification password.', { id: 'v.tg-password' });
      return;
    }
    this.busy = true;
    this.passwordError = undefined;
    try {
      this.show(await telegram.password(this.login.loginId, password));
    } catch (error) {
      const problem = asProblem(error);
      if (problem.kind === 'PasswordInvalid')
        this.passwordError = msg('That password is not correct.', { id: 'tg.password-invalid' });
      else this.problem = problem;
    } finally {
      this.busy = false;
    }
  }

  private body() {
    if (this.cancelled)
      return html`<div class="card">
        <p>${msg('The QR login was cancelled.', { id: 'qr.cancelled' })}</p>
        <wa-button variant="brand" @click=${this.start}>${msg('Show a new QR code', { id: 'qr.new' })}</wa-button>
      </div>`;
    if (this.problem !== undefined) return failure(this.problem, 'qr', () => void this.start());
    const login = this.login;
    if (login === undefined) return loading(1);
    switch (login.state) {
      case 'connected':
        return html`<div class="card success-card" role="status">
          <wa-icon name="circle-check" aria-hidden="true"></wa-icon>
          <p>${msg('Connected.', { id: 'tg.connected' })}</p>
          <wa-button variant="brand" href=${routes.accounts.path}
            >${msg('See your accounts', { id: 'tg.see-accounts' })}</wa-button
          >
        </div>`;
      case 'password_required':
        return html`<form class="card form-card" novalidate @submit=${this.submitPassword}>
          <p>${msg('This account has two-step verification. Enter its password.', { id: 'tg.2fa' })}</p>
          ${field({ id: 'qr-password', label: msg('Telegram password', { id: 'tg.password' }), type: 'password', autocomplete: 'current-password', error: this.passwordError })}
          <div class="actions">
            ${submitButton(msg('Connect', { id: 'tg.connect' }), this.busy)}
            <wa-button appearance="plain" @click=${this.cancel}>${msg('Cancel', { id: 'tg.cancel' })}</wa-button>
          </div>
        </form>`;
      case 'failed':
        return html`${failure(new ApiProblem(502, { kind: login.reason ?? 'TelegramError' }), 'qr')}
          <wa-button variant="brand" @click=${this.start}>${msg('Try again', { id: 'qr.again' })}</wa-button>`;
      default:
        return html`<div class="card qr-card">
          <ol class="qr-steps">
            <li>${msg('Open Telegram on your phone.', { id: 'qr.step1' })}</li>
            <li>${msg('Go to Settings → Devices → Link Desktop Device.', { id: 'qr.step2' })}</li>
            <li>${msg('Scan this code.', { id: 'qr.step3' })}</li>
          </ol>
          <figure data-testid="qr" data-url=${login.url ?? ''}>
            ${login.qrPng ? html`<img src=${login.qrPng} width="220" height="220" alt=${msg('QR code to link this Telegram account', { id: 'qr.alt' })} />` : loading(1)}
            <figcaption role="status">
              ${msg('Waiting for you to scan… the code renews itself.', { id: 'qr.waiting' })}
            </figcaption>
          </figure>
          <wa-button appearance="plain" @click=${this.cancel}>${msg('Cancel', { id: 'tg.cancel' })}</wa-button>
        </div>`;
    }
  }

  override render() {
    return html`${heading(msg('Connect by QR code', { id: 'route.qr' }))} ${this.body()}`;
  }
}
customElements.define('cf-qr-connect', QrPage);
