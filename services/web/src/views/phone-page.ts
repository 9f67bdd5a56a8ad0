import { msg, str } from '@lit/localize';
import { html, nothing } from 'lit';
import { ApiProblem, asProblem } from '../api/problem.ts';
import { formatCountdown, formatPhone, normalizePhone, phonesReady } from '../i18n/locale.ts';
import { fieldTexts, type ProblemContext } from '../i18n/problems.ts';
import { forgetLogin, pendingLogin, rememberLogin } from '../pending-login.ts';
import { routes } from '../routes.ts';
import { describeCodeType, telegram, type LoginState } from '../telegram.ts';
import { View, states } from './base.ts';
import { field, submitButton } from './field.ts';
import { failure, heading, loading } from './states.ts';
import { notify } from './toast.ts';

type Step = 'resuming' | 'phone' | 'code' | 'password' | 'done';

/**
 * Phone login: number → code (type and number shown, resend after a countdown, "change number") →
 * two-step password when asked → connected. A pending login resumes from the server after navigation
 * or reload and can be cancelled.
 */
export class PhonePage extends View {
  static override properties = states(
    'step',
    'login',
    'phone',
    'problem',
    'context',
    'errors',
    'busy',
    'countdown',
    'showPassword',
  );
  declare step: Step;
  declare login: LoginState | undefined;
  declare phone: string;
  declare problem: unknown;
  declare context: ProblemContext;
  declare errors: Record<string, string>;
  declare busy: boolean;
  declare countdown: number;
  declare showPassword: boolean;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor() {
    super();
    const pending = pendingLogin('phone');
    this.step = pending ? 'resuming' : 'phone';
    this.phone = pending?.phone ?? '';
    this.context = 'phone';
    this.errors = {};
    this.busy = false;
    this.countdown = 0;
    this.showPassword = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.step === 'resuming') void this.resume();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.timer);
  }

  /** Picks the login up where the server has it. */
  private async resume(): Promise<void> {
    const pending = pendingLogin('phone');
    if (pending === undefined) return void (this.step = 'phone');
    try {
      const [login] = await Promise.all([telegram.login(pending.loginId), phonesReady]);
      this.show(login);
    } catch (error) {
      if (asProblem(error).status === 404) {
        forgetLogin();
        this.step = 'phone';
      } else {
        this.context = 'load';
        this.problem = error;
      }
    }
  }

  private show(login: LoginState): void {
    this.login = login;
    switch (login.state) {
      case 'code_sent':
        if (this.step !== 'code') this.startCountdown(login.timeout);
        this.step = 'code';
        break;
      case 'password_required':
        this.step = 'password';
        break;
      case 'connected':
        forgetLogin();
        this.step = 'done';
        notify(msg('The Telegram account is connected.', { id: 'tg.connected-toast' }));
        break;
      default:
        forgetLogin();
        this.step = 'phone';
        this.context = 'code';
        this.problem = new ApiProblem(409, { detail: `login ${login.state}` });
    }
  }

  private startCountdown(seconds: number | undefined): void {
    clearInterval(this.timer);
    const until = Date.now() + Math.max(0, seconds ?? 60) * 1000;
    this.countdown = Math.max(0, Math.round(seconds ?? 60));
    this.timer = setInterval(() => {
      this.countdown = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      if (this.countdown === 0) clearInterval(this.timer);
    }, 1000);
  }

  private async run(context: ProblemContext, action: () => Promise<void>): Promise<void> {
    this.busy = true;
    this.problem = undefined;
    this.errors = {};
    this.context = context;
    try {
      await action();
    } catch (error) {
      const problem = asProblem(error);
      const fields = fieldTexts(problem);
      // Telegram's refusals of a number or code belong at that field.
      if (problem.kind === 'PhoneInvalid')
        fields['phone'] = msg('Telegram does not accept this phone number.', { id: 'tg.phone-invalid' });
      if (problem.kind === 'CodeInvalid' || problem.kind === 'CodeExpired')
        fields['code'] =
          problem.kind === 'CodeInvalid'
            ? msg('That code is not correct. Check it and try again.', { id: 'tg.code-invalid' })
            : msg('That code has expired. Ask for a new one.', { id: 'tg.code-expired' });
      if (problem.kind === 'PasswordInvalid')
        fields['tg-password'] = msg('That password is not correct.', { id: 'tg.password-invalid' });
      this.errors = fields;
      this.problem = Object.keys(fields).length > 0 ? undefined : problem;
      await this.updateComplete;
      this.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
    } finally {
      this.busy = false;
    }
  }

  private async submitPhone(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const raw = String(new FormData(event.currentTarget as HTMLFormElement).get('phone') ?? '');
    const phone = await normalizePhone(raw);
    this.phone = raw;
    if (phone === undefined) {
      this.problem = undefined;
      this.errors = {
        phone: msg('Enter the number in international format, e.g. +44 7700 900123.', { id: 'f.phone' }),
      };
      await this.updateComplete;
      this.querySelector<HTMLElement>('#phone')?.focus();
      return;
    }
    return this.run('phone', async () => {
      const login = await telegram.startPhone(phone);
      this.phone = phone;
      rememberLogin({ loginId: login.loginId, method: 'phone', phone });
      this.show(login);
    });
  }

  private resend(): Promise<void> {
    return this.run('resend', async () => {
      if (this.login === undefined) return;
      const login = await telegram.resend(this.login.loginId);
      this.login = login;
      this.startCountdown(login.timeout);
    });
  }

  private submitCode(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const code = String(new FormData(event.currentTarget as HTMLFormElement).get('code') ?? '').replace(/[\s-]/g, '');
    if (!/^[0-9]{4,8}$/.test(code)) {
      this.errors = { code: msg('Enter the code you received: 4 to 8 digits.', { id: 'f.code' }) };
      return this.updateComplete.then(() => this.querySelector<HTMLElement>('#code')?.focus());
    }
    return this.run('code', async () => this.show(await telegram.code(this.login!.loginId, code)));
  }

  private submitPassword(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const password = String(new FormData(event.currentTarget as HTMLFormElement).get('tg-password') ?? '');
    if (password === '') {
      this.errors = {
        'tg-password': msg('Enter your Telegram two-step verification password.', { id: 'v.tg-password' }),
      };
      return this.updateComplete.then(() => this.querySelector<HTMLElement>('#tg-password')?.focus());
    }
    return this.run('password', async () => this.show(await telegram.password(this.login!.loginId, password)));
  }

  /**
   * Cancel (or change number): end the pending login at the server and go back to the number, kept for
   * editing. The page does not wait for the answer; a cancel that fails leaves the login to expire there.
   */
  private cancel(): void {
    if (this.login !== undefined) void telegram.cancel(this.login.loginId).catch(() => undefined);
    forgetLogin();
    clearInterval(this.timer);
    this.login = undefined;
    this.problem = undefined;
    this.errors = {};
    this.step = 'phone';
    void this.updateComplete.then(() => this.querySelector<HTMLElement>('#phone')?.focus());
  }

  private another(): void {
    this.phone = '';
    this.cancel();
  }

  private phoneStep() {
    return html`<form class="card form-card" novalidate @submit=${this.submitPhone}>
      ${field({
        id: 'phone',
        label: msg('Phone number', { id: 'tg.phone' }),
        type: 'tel',
        autocomplete: 'tel',
        inputmode: 'tel',
        placeholder: '+44 7700 900123',
        value: this.phone,
        error: this.errors['phone'],
        hint: msg('Telegram sends a code to the app on your other devices or by SMS.', { id: 'tg.phone-hint' }),
      })}
      ${submitButton(msg('Send code', { id: 'tg.send-code' }), this.busy)}
    </form>`;
  }

  private codeStep() {
    const next = this.login?.nextCodeType ? describeCodeType(this.login.nextCodeType) : undefined;
    return html`<form class="card form-card" novalidate @submit=${this.submitCode}>
      <p data-testid="code-type">
        ${msg(str`We sent a code ${describeCodeType(this.login?.codeType)} to ${formatPhone(this.phone)}.`, { id: 'tg.code-sent' })}
        <button type="button" class="link-button" @click=${this.cancel}>
          ${msg('Change number', { id: 'tg.change-number' })}
        </button>
      </p>
      ${field({ id: 'code', label: msg('Code', { id: 'tg.code' }), inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 12, error: this.errors['code'] })}
      <div class="actions">
        ${submitButton(msg('Connect', { id: 'tg.connect' }), this.busy)}
        <wa-button appearance="outlined" ?disabled=${this.busy || this.countdown > 0} @click=${this.resend}>
          ${
            this.countdown > 0
              ? msg(str`Resend in ${formatCountdown(this.countdown)}`, { id: 'tg.resend-in' })
              : next
                ? msg(str`Resend ${next}`, { id: 'tg.resend-by' })
                : msg('Resend code', { id: 'tg.resend' })
          }
        </wa-button>
        <wa-button appearance="plain" @click=${this.cancel}>${msg('Cancel', { id: 'tg.cancel' })}</wa-button>
      </div>
    </form>`;
  }

  private passwordStep() {
    return html`<form class="card form-card" novalidate @submit=${this.submitPassword}>
      <p>${msg('This account has two-step verification. Enter its password.', { id: 'tg.2fa' })}</p>
      ${field({
        id: 'tg-password',
        label: msg('Telegram password', { id: 'tg.password' }),
        type: this.showPassword ? 'text' : 'password',
        autocomplete: 'current-password',
        error: this.errors['tg-password'],
      })}
      <div class="actions">
        ${submitButton(msg('Connect', { id: 'tg.connect' }), this.busy)}
        <wa-button appearance="plain" @click=${this.cancel}>${msg('Cancel', { id: 'tg.cancel' })}</wa-button>
      </div>
    </form>`;
  }

  private doneStep() {
    return html`<div class="card success-card" role="status">
      <wa-icon name="circle-check" aria-hidden="true"></wa-icon>
      <p>${msg('Connected.', { id: 'tg.connected' })}</p>
      <wa-button variant="brand" href=${routes.accounts.path}
        >${msg('See your accounts', { id: 'tg.see-accounts' })}</wa-button
      >
      <wa-button appearance="outlined" @click=${this.another}
        >${msg('Connect another account', { id: 'tg.another' })}</wa-button
      >
    </div>`;
  }

  override render() {
    const steps = {
      resuming: () => loading(2),
      phone: () => this.phoneStep(),
      code: () => this.codeStep(),
      password: () => this.passwordStep(),
      done: () => this.doneStep(),
    };
    return html`${heading(msg('Connect by phone', { id: 'route.phone' }))}
    ${this.problem !== undefined ? failure(this.problem, this.context, this.step === 'resuming' ? () => void this.resume() : undefined) : nothing}
    ${steps[this.step]()}`;
  }
}
customElements.define('cf-phone-connect', PhonePage);
