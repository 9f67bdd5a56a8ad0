import { html, nothing } from 'lit';
import { ApiError } from '../api.ts';
import { navigate } from '../router.ts';
import { describeCodeType, telegram, type LoginState, type PhoneLogin, type TelegramAccount } from '../telegram.ts';
import { View } from './base.ts';
import { passwordField } from './password-field.ts';

function message(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 429 && error.retryAfter !== undefined)
      return `${error.message} Try again in ${error.retryAfter} s.`;
    return error.fieldErrors.length > 0 ? error.fieldErrors.map((f) => f.message).join(' ') : error.message;
  }
  return 'Something went wrong. Try again.';
}

/** Connected accounts with a disconnect button each. */
export class Accounts extends View {
  static override properties = { accounts: { state: true }, error: { state: true }, loading: { state: true } };
  declare accounts: TelegramAccount[];
  declare error: string;
  declare loading: boolean;

  constructor() {
    super();
    this.accounts = [];
    this.error = '';
    this.loading = true;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    this.loading = true;
    try {
      this.accounts = (await telegram.accounts()).accounts;
      this.error = '';
    } catch (error) {
      this.error = message(error);
    } finally {
      this.loading = false;
    }
  }

  private async disconnect(account: TelegramAccount): Promise<void> {
    if (!confirm(`Disconnect ${account.displayName ?? account.username ?? account.phone ?? 'this account'}?`)) return;
    try {
      await telegram.disconnect(account.id);
      await this.load();
    } catch (error) {
      this.error = message(error);
    }
  }

  override render() {
    return html`<h1>Telegram accounts</h1>
      <p class="form-error" role="alert">${this.error}</p>
      ${
        this.loading
          ? html`<p aria-busy="true"><span class="spinner" aria-hidden="true"></span> Loading…</p>`
          : this.accounts.length === 0
            ? html`<p class="empty">
                No Telegram account connected yet.
                <a
                  href="/connect/phone"
                  @click=${(e: Event) => {
                    e.preventDefault();
                    navigate('connect-phone');
                  }}
                  >Connect one by phone</a
                >
                or
                <a
                  href="/connect/qr"
                  @click=${(e: Event) => {
                    e.preventDefault();
                    navigate('connect-qr');
                  }}
                  >by QR code</a
                >.
              </p>`
            : html`<ul class="accounts">
                ${this.accounts.map(
                  (account) =>
                    html`<li class="card account">
                      <div>
                        <strong
                          >${account.displayName ?? account.firstName ?? account.username ?? 'Telegram account'}</strong
                        >
                        <span class="muted"
                          >${account.username ? `@${account.username}` : ''} ${account.phone ?? ''}</span
                        >
                        <span class="status"
                          >${account.state ?? 'connected'}${account.reason ? ` (${account.reason})` : ''}</span
                        >
                      </div>
                      <button class="danger" type="button" @click=${() => this.disconnect(account)}>Disconnect</button>
                    </li>`,
                )}
              </ul>`
      }`;
  }
}
customElements.define('cf-accounts', Accounts);

/** Phone login: number → code (type shown, resend with countdown) → 2FA password when asked → connected. */
export class PhoneConnect extends View {
  static override properties = {
    step: { state: true },
    login: { state: true },
    error: { state: true },
    busy: { state: true },
    countdown: { state: true },
    showPassword: { state: true },
  };
  declare step: 'phone' | 'code' | 'password' | 'done';
  declare login: PhoneLogin | undefined;
  declare error: string;
  declare busy: boolean;
  declare countdown: number;
  declare showPassword: boolean;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor() {
    super();
    this.step = 'phone';
    this.error = '';
    this.busy = false;
    this.countdown = 0;
    this.showPassword = false;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.timer);
  }

  private startCountdown(seconds: number | null | undefined): void {
    clearInterval(this.timer);
    this.countdown = Math.max(0, Math.round(seconds ?? 60));
    this.timer = setInterval(() => {
      this.countdown = Math.max(0, this.countdown - 1);
      if (this.countdown === 0) clearInterval(this.timer);
    }, 1000);
  }

  private async run(action: () => Promise<void>): Promise<void> {
    this.busy = true;
    this.error = '';
    try {
      await action();
    } catch (error) {
      this.error = message(error);
    } finally {
      this.busy = false;
    }
  }

  private submitPhone(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const phone = String(new FormData(event.currentTarget as HTMLFormElement).get('phone') ?? '').trim();
    if (!/^\+?[0-9][0-9 ()-]{5,}$/.test(phone)) {
      this.error = 'Enter the phone number in international format, e.g. +44 7700 900123.';
      return Promise.resolve();
    }
    return this.run(async () => {
      this.login = await telegram.startPhone(phone.replace(/[ ()-]/g, ''));
      this.step = 'code';
      this.startCountdown(this.login.timeout);
    });
  }

  private resend(): Promise<void> {
    return this.run(async () => {
      if (this.login === undefined) return;
      this.login = await telegram.resend(this.login.loginId);
      this.startCountdown(this.login.timeout);
    });
  }

  private submitCode(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const code = String(new FormData(event.currentTarget as HTMLFormElement).get('code') ?? '').trim();
    if (!/^[0-9]{4,8}$/.test(code)) {
      this.error = 'Enter the code you received (digits only).';
      return Promise.resolve();
    }
    return this.run(async () => {
      const result = await telegram.code(this.login!.loginId, code);
      this.step = result.state === 'password_required' ? 'password' : 'done';
    });
  }

  private submitPassword(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const password = String(new FormData(event.currentTarget as HTMLFormElement).get('tg-password') ?? '');
    if (password === '') {
      this.error = 'Enter your Telegram two-step verification password.';
      return Promise.resolve();
    }
    return this.run(async () => {
      await telegram.password(this.login!.loginId, password);
      this.step = 'done';
    });
  }

  private spinner(label: string) {
    return html`<span class="spinner" aria-hidden="true"></span> ${label}`;
  }

  override render() {
    return html`<h1>Connect by phone</h1>
      <p class="form-error" role="alert">${this.error}</p>
      ${
        this.step === 'phone'
          ? html`<form class="card" novalidate @submit=${this.submitPhone}>
              <div class="field">
                <label for="phone">Phone number</label>
                <input
                  id="phone"
                  name="phone"
                  type="tel"
                  autocomplete="tel"
                  inputmode="tel"
                  placeholder="+44 7700 900123"
                  required
                />
              </div>
              <button class="primary" type="submit" ?disabled=${this.busy}>
                ${this.busy ? this.spinner('Sending code…') : 'Send code'}
              </button>
            </form>`
          : nothing
      }
      ${
        this.step === 'code'
          ? html`<form class="card" novalidate @submit=${this.submitCode}>
              <p data-testid="code-type">We sent a code ${describeCodeType(this.login?.codeType)}.</p>
              <div class="field">
                <label for="code">Code</label>
                <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required maxlength="8" />
              </div>
              <button class="primary" type="submit" ?disabled=${this.busy}>
                ${this.busy ? this.spinner('Checking…') : 'Connect'}
              </button>
              <button
                class="secondary"
                type="button"
                ?disabled=${this.busy || this.countdown > 0}
                @click=${this.resend}
              >
                ${this.countdown > 0 ? `Resend in ${this.countdown} s` : `Resend ${this.login?.nextCodeType ? describeCodeType(this.login.nextCodeType) : 'code'}`}
              </button>
            </form>`
          : nothing
      }
      ${
        this.step === 'password'
          ? html`<form class="card" novalidate @submit=${this.submitPassword}>
              <p>This account has two-step verification. Enter its password.</p>
              ${passwordField({
                id: 'tg-password',
                label: 'Telegram password',
                visible: this.showPassword,
                toggle: () => (this.showPassword = !this.showPassword),
                autocomplete: 'current-password',
              })}
              <button class="primary" type="submit" ?disabled=${this.busy}>
                ${this.busy ? this.spinner('Checking…') : 'Connect'}
              </button>
            </form>`
          : nothing
      }
      ${
        this.step === 'done'
          ? html`<div class="card success" role="status">
              <p>Connected.</p>
              <a
                href="/"
                @click=${(e: Event) => {
                  e.preventDefault();
                  navigate('accounts');
                }}
                >See your accounts</a
              >
            </div>`
          : nothing
      }`;
  }
}
customElements.define('cf-phone-connect', PhoneConnect);

/** QR login: shows the code, polls the state, shows the new code when the server re-exported it. */
export class QrConnect extends View {
  static override properties = {
    login: { state: true },
    error: { state: true },
    showPassword: { state: true },
    busy: { state: true },
  };
  declare login: LoginState | undefined;
  declare error: string;
  declare showPassword: boolean;
  declare busy: boolean;
  private poller: ReturnType<typeof setInterval> | undefined;

  constructor() {
    super();
    this.error = '';
    this.showPassword = false;
    this.busy = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.start();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.poller);
  }

  private async start(): Promise<void> {
    clearInterval(this.poller);
    try {
      this.login = await telegram.startQr();
      this.error = '';
      this.poller = setInterval(() => void this.poll(), 1500);
    } catch (error) {
      this.error = message(error);
    }
  }

  private async poll(): Promise<void> {
    if (this.login === undefined) return;
    try {
      const next = await telegram.login(this.login.loginId);
      this.login = { ...this.login, ...next };
      if (next.state === 'connected' || next.state === 'failed') clearInterval(this.poller);
      if (next.state === 'expired') await this.start();
    } catch (error) {
      this.error = message(error);
    }
  }

  private async submitPassword(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const password = String(new FormData(event.currentTarget as HTMLFormElement).get('qr-password') ?? '');
    if (this.login === undefined || password === '') return;
    this.busy = true;
    try {
      this.login = { ...this.login, ...(await telegram.password(this.login.loginId, password)) };
    } catch (error) {
      this.error = message(error);
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const state = this.login?.state ?? 'waiting';
    return html`<h1>Connect by QR code</h1>
      <p class="form-error" role="alert">${this.error}</p>
      ${
        this.login === undefined
          ? html`<p aria-busy="true"><span class="spinner" aria-hidden="true"></span> Preparing a code…</p>`
          : state === 'connected'
            ? html`<div class="card success" role="status"><p>Connected.</p></div>`
            : state === 'password_required'
              ? html`<form class="card" novalidate @submit=${this.submitPassword}>
                  <p>This account has two-step verification. Enter its password.</p>
                  ${passwordField({ id: 'qr-password', label: 'Telegram password', visible: this.showPassword, toggle: () => (this.showPassword = !this.showPassword), autocomplete: 'current-password' })}
                  <button class="primary" type="submit" ?disabled=${this.busy}>Connect</button>
                </form>`
              : state === 'failed'
                ? html`<div class="card">
                    <p>The login failed: ${this.login.reason ?? 'unknown reason'}.</p>
                    <button class="primary" type="button" @click=${this.start}>Try again</button>
                  </div>`
                : html`<div class="card qr">
                    <ol>
                      <li>Open Telegram on your phone.</li>
                      <li>Go to Settings → Devices → Link Desktop Device.</li>
                      <li>Scan this code.</li>
                    </ol>
                    <figure data-testid="qr" data-url=${this.login.url ?? ''}>
                      ${
                        this.login.qrPng
                          ? html`<img
                              src=${this.login.qrPng}
                              width="220"
                              height="220"
                              alt="QR code to link this Telegram account"
                            />`
                          : html`<code>${this.login.url}</code>`
                      }
                      <figcaption role="status">Waiting for you to scan… the code renews itself.</figcaption>
                    </figure>
                  </div>`
      }`;
  }
}
customElements.define('cf-qr-connect', QrConnect);

/** The caller's integration log, newest first, paged. */
export class IntegrationLog extends View {
  static override properties = { entries: { state: true }, error: { state: true }, page: { state: true } };
  declare entries: Record<string, unknown>[];
  declare error: string;
  declare page: number;

  constructor() {
    super();
    this.entries = [];
    this.error = '';
    this.page = 1;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      this.entries = (await telegram.logs(this.page)).entries;
    } catch (error) {
      this.error = message(error);
    }
  }

  override render() {
    return html`<h1>Integration log</h1>
      <p class="form-error" role="alert">${this.error}</p>
      ${
        this.entries.length === 0
          ? html`<p class="empty">Nothing logged yet.</p>`
          : html`<table>
              <caption class="visually-hidden">
                Your Telegram operations
              </caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Operation</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                ${this.entries.map(
                  (entry) =>
                    html`<tr>
                      <td>${new Date(String(entry['createdAt'] ?? entry['at'] ?? '')).toLocaleString()}</td>
                      <td>${String(entry['operation'] ?? entry['action'] ?? '')}</td>
                      <td>
                        ${String(entry['outcome'] ?? entry['status'] ?? '')}${entry['errorKind'] ? ` (${String(entry['errorKind'])})` : ''}
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
      <div class="pager">
        <button
          class="secondary"
          type="button"
          ?disabled=${this.page <= 1}
          @click=${() => {
            this.page -= 1;
            void this.load();
          }}
        >
          Newer
        </button>
        <button
          class="secondary"
          type="button"
          ?disabled=${this.entries.length === 0}
          @click=${() => {
            this.page += 1;
            void this.load();
          }}
        >
          Older
        </button>
      </div>`;
  }
}
customElements.define('cf-integration-log', IntegrationLog);

/** Error counts by kind over the service's window. */
export class ErrorStats extends View {
  static override properties = { counts: { state: true }, window: { state: true }, error: { state: true } };
  declare counts: Record<string, number>;
  declare window: string;
  declare error: string;

  constructor() {
    super();
    this.counts = {};
    this.window = '';
    this.error = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void telegram
      .errorStats()
      .then((stats) => {
        this.counts = stats.errors ?? {};
        this.window = stats.windowHours !== undefined ? `the last ${stats.windowHours} hours` : '';
      })
      .catch((error: unknown) => (this.error = message(error)));
  }

  override render() {
    const entries = Object.entries(this.counts);
    return html`<h1>Error statistics</h1>
      <p class="form-error" role="alert">${this.error}</p>
      ${this.window ? html`<p class="muted">Window: ${this.window}</p>` : nothing}
      ${
        entries.length === 0
          ? html`<p class="empty">No errors.</p>`
          : html`<table>
              <thead>
                <tr>
                  <th scope="col">Kind</th>
                  <th scope="col">Count</th>
                </tr>
              </thead>
              <tbody>
                ${entries.map(
                  ([kind, count]) =>
                    html`<tr>
                      <td>${kind}</td>
                      <td>${count}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }`;
  }
}
customElements.define('cf-error-stats', ErrorStats);
