import { msg } from '@lit/localize';
import { html, nothing } from 'lit';
import { asProblem } from '../api/problem.ts';
import { session } from '../api/session.ts';
import { logo } from '../design/logo.ts';
import { accountProblemText, captchaMissingText, fieldTexts, problemText } from '../i18n/problems.ts';
import { captchaAnswer, captchaAsked, captchaField, resetCaptcha } from './account/captcha.ts';
import { passwordScore } from '../password-strength.ts';
import { View, states } from './base.ts';
import { emailField, field, focusInvalid, submitButton } from './field.ts';
import { preferences } from './shell.ts';
import './retry-hint.ts';
import type { SecondFactorStep } from '../api/session.ts';
import './two-factor/second-step.ts';
import './two-factor/passkey-login.ts';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function strengthWords(score: number): string {
  return [
    msg('Very weak', { id: 'pw.0' }),
    msg('Weak', { id: 'pw.1' }),
    msg('Fair', { id: 'pw.2' }),
    msg('Good', { id: 'pw.3' }),
    msg('Strong', { id: 'pw.4' }),
  ][Math.max(0, Math.min(4, score))]!;
}

/**
 * Login and registration: validated on submit, field errors at their field, the server's refusals in the
 * catalogue's words (a 429 once, with a live countdown). Registration adds a confirmation field and a
 * strength meter.
 */
class AuthPage extends View {
  static override properties = states('busy', 'errors', 'formError', 'showPassword', 'score', 'step', 'captcha');
  /**
   * Whether the form carries the ALTCHA widget: registration when the server asks for a captcha, login once the
   * server's problem said one is needed (after repeated failures).
   */
  declare captcha: boolean;
  declare busy: boolean;
  declare errors: Record<string, string>;
  declare formError: unknown;
  declare showPassword: boolean;
  declare score: number | undefined;
  /** The login's "second factor required" step, while the second-step screen shows (views/two-factor). */
  declare step: SecondFactorStep | undefined;
  protected readonly mode: 'login' | 'register' = 'login';

  constructor() {
    super();
    this.busy = false;
    this.errors = {};
    this.showPassword = false;
    this.captcha = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.mode === 'register') void captchaAsked().then((asked) => (this.captcha = asked));
  }

  private validate(data: FormData): Record<string, string> {
    const errors: Record<string, string> = {};
    const email = String(data.get('email') ?? '').trim();
    const password = String(data.get('password') ?? '');
    if (email === '') errors['email'] = msg('Enter your email address.', { id: 'v.email-empty' });
    else if (!EMAIL.test(email))
      errors['email'] = msg('Enter an email address like name@example.org.', { id: 'f.email' });
    if (password === '') errors['password'] = msg('Enter your password.', { id: 'v.password-empty' });
    else if (this.mode === 'register' && [...password].length < 8)
      errors['password'] = msg('Use at least 8 characters.', { id: 'v.password-short' });
    else if ([...password].length > 128)
      errors['password'] = msg('Use at most 128 characters.', { id: 'v.password-long' });
    if (this.mode === 'register' && errors['password'] === undefined && data.get('confirm') !== password)
      errors['confirm'] = msg('The passwords do not match.', { id: 'v.confirm' });
    return errors;
  }

  private captchaError(form: HTMLFormElement): Record<string, string> {
    return this.captcha && captchaAnswer(form) === undefined ? { captcha: captchaMissingText() } : {};
  }

  private async submit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    this.errors = { ...this.validate(data), ...this.captchaError(form) };
    this.formError = undefined;
    if (await focusInvalid(this.errors, this, form)) return;
    this.busy = true;
    try {
      const email = String(data.get('email')).trim();
      const password = String(data.get('password'));
      const captcha = this.captcha ? captchaAnswer(form) : undefined;
      if (this.mode === 'login') this.step = await session.login(email, password, captcha);
      else await session.register(email, password, String(data.get('displayName') ?? '').trim() || undefined, captcha);
    } catch (error) {
      const problem = asProblem(error);
      const captchaText = accountProblemText(problem, 'form');
      // A used answer is spent whatever the outcome: the next try needs a new one.
      if (this.captcha) resetCaptcha(form);
      if (captchaText !== undefined) this.captcha = true;
      this.errors = captchaText !== undefined ? { captcha: captchaText } : fieldTexts(problem);
      this.formError = Object.keys(this.errors).length > 0 ? undefined : problem;
      await this.updateComplete;
      form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
    } finally {
      this.busy = false;
    }
  }

  private async rate(event: InputEvent): Promise<void> {
    const value = (event.target as HTMLInputElement).value;
    if (value === '') {
      this.score = undefined;
      return;
    }
    const email = (this.querySelector<HTMLInputElement>('#email')?.value ?? '').split('@');
    const score = await passwordScore(value, email);
    if ((event.target as HTMLInputElement).value === value) this.score = score;
  }

  private toggle() {
    const visible = this.showPassword;
    return html`<button
      type="button"
      class="field-toggle"
      aria-pressed=${visible ? 'true' : 'false'}
      aria-controls="password"
      @click=${() => (this.showPassword = !this.showPassword)}
    >
      <wa-icon name=${visible ? 'eye-slash' : 'eye'} aria-hidden="true"></wa-icon>
      <span class="visually-hidden"
        >${visible ? msg('Hide password', { id: 'pw.hide' }) : msg('Show password', { id: 'pw.show' })}</span
      >
    </button>`;
  }

  private meter() {
    if (this.score === undefined) return nothing;
    return html`<div class="strength" data-score=${this.score}>
      <meter min="0" max="4" low="2" high="3" optimum="4" .value=${this.score} aria-labelledby="strength-label"></meter>
      <span id="strength-label" data-testid="strength"
        >${msg('Strength:', { id: 'pw.strength' })} ${strengthWords(this.score)}</span
      >
    </div>`;
  }

  override render() {
    if (this.step !== undefined)
      return html`<cf-second-factor .step=${this.step} .onCancel=${() => (this.step = undefined)}></cf-second-factor>`;
    const login = this.mode === 'login';
    const problem = this.formError === undefined ? undefined : asProblem(this.formError);
    return html`<main class="auth-page" id="main" tabindex="-1">
      <div class="auth-top">${preferences(() => this.requestUpdate())}</div>
      <section class="auth-card" aria-labelledby="auth-title">
        <div class="auth-brand">${logo()}</div>
        <h1 id="auth-title" tabindex="-1" data-page-heading>
          ${login ? msg('Log in', { id: 'route.login' }) : msg('Create your account', { id: 'auth.create-title' })}
        </h1>
        <form novalidate @submit=${this.submit} aria-busy=${this.busy ? 'true' : 'false'}>
          <div class="form-error" role="alert">
            ${
              problem
                ? html`<wa-callout variant="danger">
                    <wa-icon slot="icon" name="circle-alert"></wa-icon>
                    <span class="error-text">${problemText(problem, this.mode)}</span>
                    ${problem.retryAfter !== undefined ? html` <cf-retry-hint .seconds=${problem.retryAfter}></cf-retry-hint>` : nothing}
                  </wa-callout>`
                : nothing
            }
          </div>
          ${emailField('email', msg('Email', { id: 'auth.email' }), this.errors['email'])}
          ${
            login
              ? nothing
              : field({
                  id: 'displayName',
                  label: msg('Display name (optional)', { id: 'auth.display-name' }),
                  autocomplete: 'nickname',
                  maxlength: 80,
                  required: false,
                  error: this.errors['displayName'],
                })
          }
          ${field({
            id: 'password',
            label: msg('Password', { id: 'auth.password' }),
            type: this.showPassword ? 'text' : 'password',
            autocomplete: login ? 'current-password' : 'new-password',
            maxlength: 128,
            error: this.errors['password'],
            hint: login
              ? undefined
              : msg('At least 8 characters. Common passwords are refused.', { id: 'auth.pw-hint' }),
            suffix: this.toggle(),
            ...(login ? {} : { onInput: (event: InputEvent) => void this.rate(event) }),
          })}
          ${login ? nothing : this.meter()}
          ${
            login
              ? nothing
              : field({
                  id: 'confirm',
                  label: msg('Repeat the password', { id: 'auth.confirm' }),
                  type: this.showPassword ? 'text' : 'password',
                  autocomplete: 'new-password',
                  maxlength: 128,
                  error: this.errors['confirm'],
                })
          }
          ${this.captcha ? captchaField(this.errors['captcha']) : nothing}
          ${submitButton(login ? msg('Log in', { id: 'route.login' }) : msg('Create account', { id: 'route.register' }), this.busy, 'submit')}
        </form>
        ${login ? html`<p class="switch"><a href="/forgot-password">${msg('Forgot your password?', { id: 'auth.forgot' })}</a></p>` : nothing}
        ${login ? html`<cf-passkey-login></cf-passkey-login>` : nothing}
        <p class="switch">
          ${
            login
              ? html`${msg('No account yet?', { id: 'auth.no-account' })}
                  <a href="/register">${msg('Create one', { id: 'auth.create-one' })}</a>`
              : html`${msg('Already registered?', { id: 'auth.registered' })}
                  <a href="/login">${msg('Log in', { id: 'route.login' })}</a>`
          }
        </p>
      </section>
    </main>`;
  }
}

/** The login page (route `login`). */
export class LoginPage extends AuthPage {}
customElements.define('cf-login-page', LoginPage);

/** The registration page (route `register`). */
export class RegisterPage extends AuthPage {
  protected override readonly mode = 'register';
}
customElements.define('cf-register-page', RegisterPage);
