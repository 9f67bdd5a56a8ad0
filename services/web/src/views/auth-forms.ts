import { html } from 'lit';
import { ApiError, session } from '../api.ts';
import { navigate } from '../router.ts';
import { passwordField } from './password-field.ts';
import { View } from './base.ts';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Login and registration: one form, two modes; validation on submit, server errors shown as sent. */
export class AuthForm extends View {
  static override properties = {
    mode: { type: String },
    busy: { state: true },
    errors: { state: true },
    showPassword: { state: true },
  };

  declare mode: 'login' | 'register';
  declare busy: boolean;
  declare errors: Record<string, string>;
  declare showPassword: boolean;

  constructor() {
    super();
    this.mode = 'login';
    this.busy = false;
    this.errors = {};
    this.showPassword = false;
  }

  private validate(data: FormData): Record<string, string> {
    const errors: Record<string, string> = {};
    const email = String(data.get('email') ?? '').trim();
    const password = String(data.get('password') ?? '');
    if (email === '') errors['email'] = 'Enter your email address.';
    else if (!EMAIL.test(email)) errors['email'] = 'Enter an email address like name@example.org.';
    if (password === '') errors['password'] = 'Enter your password.';
    else if (this.mode === 'register' && [...password].length < 8) errors['password'] = 'Use at least 8 characters.';
    else if ([...password].length > 128) errors['password'] = 'Use at most 128 characters.';
    return errors;
  }

  private async submit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    this.errors = this.validate(data);
    if (Object.keys(this.errors).length > 0) {
      await this.updateComplete;
      (form.querySelector('[aria-invalid="true"]') as HTMLElement | null)?.focus();
      return;
    }
    this.busy = true;
    try {
      const email = String(data.get('email')).trim();
      const password = String(data.get('password'));
      if (this.mode === 'login') await session.login(email, password);
      else await session.register(email, password, String(data.get('displayName') ?? '').trim() || undefined);
      navigate('accounts');
    } catch (error) {
      const problem = error instanceof ApiError ? error : new ApiError(0, 'Something went wrong. Try again.');
      const fields: Record<string, string> = {};
      for (const fieldError of problem.fieldErrors) fields[fieldError.field] = fieldError.message;
      const waitHint =
        problem.status === 429 && problem.retryAfter !== undefined ? ` Try again in ${problem.retryAfter} s.` : '';
      this.errors = { ...fields, form: `${problem.message}${waitHint}` };
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const login = this.mode === 'login';
    return html`<main class="auth-page" id="main">
      <section class="card auth-card" aria-labelledby="auth-title">
        <p class="brand">Content Factory</p>
        <h1 id="auth-title">${login ? 'Log in' : 'Create your account'}</h1>
        <form novalidate @submit=${this.submit} aria-busy=${this.busy ? 'true' : 'false'}>
          <div class="form-error" role="alert">${this.errors['form'] ?? ''}</div>
          <div class="field">
            <label for="email">Email</label>
            <input
              id="email"
              name="email"
              type="email"
              autocomplete="email"
              required
              maxlength="254"
              aria-invalid=${this.errors['email'] ? 'true' : 'false'}
              aria-describedby="email-error"
            />
            <p class="field-error" id="email-error" role="alert">${this.errors['email'] ?? ''}</p>
          </div>
          ${
            login
              ? ''
              : html`<div class="field">
                  <label for="displayName">Display name <span class="optional">(optional)</span></label>
                  <input id="displayName" name="displayName" type="text" autocomplete="nickname" maxlength="80" />
                </div>`
          }
          ${passwordField({
            id: 'password',
            label: 'Password',
            visible: this.showPassword,
            toggle: () => (this.showPassword = !this.showPassword),
            error: this.errors['password'],
            autocomplete: login ? 'current-password' : 'new-password',
            minlength: login ? 1 : 8,
          })}
          ${login ? '' : html`<p class="hint">At least 8 characters. Common passwords are refused.</p>`}
          <button class="primary" type="submit" ?disabled=${this.busy}>
            ${this.busy ? html`<span class="spinner" aria-hidden="true"></span> ${login ? 'Logging in…' : 'Creating account…'}` : login ? 'Log in' : 'Create account'}
          </button>
        </form>
        <p class="switch">
          ${
            login
              ? html`No account yet? <a href="/register">Create one</a>`
              : html`Already registered? <a href="/login">Log in</a>`
          }
        </p>
      </section>
    </main>`;
  }
}

/** The login page (route `login`). */
export class LoginPage extends AuthForm {}
customElements.define('cf-login-page', LoginPage);

/** The registration page (route `register`). */
export class RegisterPage extends AuthForm {
  constructor() {
    super();
    this.mode = 'register';
  }
}
customElements.define('cf-register-page', RegisterPage);
