import { msg } from '@lit/localize';
import { Task } from '@lit/task';
import { html, nothing, type TemplateResult } from 'lit';
import { api, settle } from '../../api/client.ts';
import { ApiProblem, asProblem } from '../../api/problem.ts';
import { session } from '../../api/session.ts';
import { logo } from '../../design/logo.ts';
import { accountProblemText, captchaMissingText, fieldTexts, problemText } from '../../i18n/problems.ts';
import { navigate } from '../../router.ts';
import { View, states } from '../base.ts';
import { emailField, focusInvalid, newPasswordFields, submitButton } from '../field.ts';
import { preferences } from '../shell.ts';
import { loading } from '../states.ts';
import { notify } from '../toast.ts';
import { captchaAnswer, captchaAsked, captchaField, resetCaptcha } from './captcha.ts';
import '../retry-hint.ts';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The secret a mailed link carries in its fragment (`#token=<id>.<token>`): the fragment never reaches a server's
 * logs. Read once, then removed from the address bar, so it is not left in the history.
 */
function linkToken(): string {
  const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
  if (location.hash !== '') history.replaceState(history.state, '', location.pathname);
  return token;
}

/** The card every page here sits in: signed out on the sign-in layout, signed in inside the shell. */
function card(title: string, body: TemplateResult | typeof nothing, onPreferences: () => void): TemplateResult {
  const content = html`<section class="auth-card" aria-labelledby="auth-title">
    <div class="auth-brand">${logo()}</div>
    <h1 id="auth-title" tabindex="-1" data-page-heading>${title}</h1>
    ${body}
  </section>`;
  if (session.signedIn) return html`<div class="link-page">${content}</div>`;
  return html`<main class="auth-page" id="main" tabindex="-1">
    <div class="auth-top">${preferences(onPreferences)}</div>
    ${content}
  </main>`;
}

function formError(problem: unknown, context: 'register' | 'login' | 'load'): TemplateResult {
  if (problem === undefined) return html`<div class="form-error" role="alert"></div>`;
  const found = asProblem(problem);
  return html`<div class="form-error" role="alert">
    <wa-callout variant="danger">
      <wa-icon slot="icon" name="circle-alert"></wa-icon>
      <span class="error-text">${accountProblemText(found, 'link') ?? problemText(found, context)}</span>
      ${found.retryAfter !== undefined ? html` <cf-retry-hint .seconds=${found.retryAfter}></cf-retry-hint>` : nothing}
    </wa-callout>
  </div>`;
}

/**
 * "Forgot password" (route `forgot-password`): the address and, when the server asks, the captcha. The answer is the
 * same whether or not an account has the address (the server's rule), and so is the page's.
 */
export class ForgotPasswordPage extends View {
  static override properties = states('busy', 'errors', 'problem', 'sentTo', 'captcha');
  declare busy: boolean;
  declare errors: Record<string, string>;
  declare problem: unknown;
  declare sentTo: string | undefined;
  declare captcha: boolean;

  constructor() {
    super();
    this.busy = false;
    this.errors = {};
    this.captcha = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void captchaAsked().then((asked) => (this.captcha = asked));
  }

  private async submit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const email = String(new FormData(form).get('email') ?? '').trim();
    const answer = this.captcha ? captchaAnswer(form) : undefined;
    this.errors = {};
    this.problem = undefined;
    if (email === '') this.errors = { email: msg('Enter your email address.', { id: 'v.email-empty' }) };
    else if (!EMAIL.test(email))
      this.errors = { email: msg('Enter an email address like name@example.org.', { id: 'f.email' }) };
    if (this.captcha && answer === undefined) this.errors = { ...this.errors, captcha: captchaMissingText() };
    if (await focusInvalid(this.errors, this, form)) return;
    this.busy = true;
    try {
      await settle(() =>
        api.POST('/api/auth/password-reset', { body: { email, ...(answer !== undefined ? { captcha: answer } : {}) } }),
      );
      this.sentTo = email;
    } catch (error) {
      const problem = asProblem(error);
      if (this.captcha) resetCaptcha(form);
      const captchaText = accountProblemText(problem, 'form');
      if (captchaText !== undefined) this.errors = { captcha: captchaText };
      else if (problem.fields.length > 0) this.errors = fieldTexts(problem);
      else this.problem = problem;
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const title = msg('Forgot password', { id: 'route.forgot' });
    if (this.sentTo !== undefined)
      return card(
        title,
        html`<wa-callout variant="success" role="status" data-testid="reset-sent">
            <wa-icon slot="icon" name="mail"></wa-icon>
            ${msg(
              'If an account uses this address, a link to choose a new password is on its way. It works for one hour.',
              { id: 'acct.reset-sent' },
            )}
          </wa-callout>
          <p class="switch"><a href="/login">${msg('Back to log in', { id: 'acct.back-login' })}</a></p>`,
        () => this.requestUpdate(),
      );
    return card(
      title,
      html`<p class="page-subtitle">
          ${msg('Enter your account’s email address and we will send you a link to choose a new password.', {
            id: 'acct.forgot-intro',
          })}
        </p>
        <form novalidate @submit=${this.submit} aria-busy=${this.busy ? 'true' : 'false'}>
          ${formError(this.problem, 'login')}
          ${emailField('email', msg('Email', { id: 'auth.email' }), this.errors['email'])}
          ${this.captcha ? captchaField(this.errors['captcha']) : nothing}
          ${submitButton(msg('Send the link', { id: 'acct.send-link' }), this.busy, 'submit')}
        </form>
        <p class="switch"><a href="/login">${msg('Back to log in', { id: 'acct.back-login' })}</a></p>`,
      () => this.requestUpdate(),
    );
  }
}
customElements.define('cf-forgot-password-page', ForgotPasswordPage);

/**
 * "Choose a new password" (route `reset-password`), opened from the mailed link: the new password twice. Completing
 * it ends every session, this browser's too, so the user logs in again with the new password.
 */
export class ResetPasswordPage extends View {
  static override properties = states('busy', 'errors', 'problem');
  declare busy: boolean;
  declare errors: Record<string, string>;
  declare problem: unknown;
  private readonly token = linkToken();

  constructor() {
    super();
    this.busy = false;
    this.errors = {};
  }

  private async submit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const password = String(data.get('password') ?? '');
    this.problem = undefined;
    this.errors = {};
    if ([...password].length < 8)
      this.errors = { password: msg('Use at least 8 characters.', { id: 'v.password-short' }) };
    else if ([...password].length > 128)
      this.errors = { password: msg('Use at most 128 characters.', { id: 'v.password-long' }) };
    else if (data.get('confirm') !== password)
      this.errors = { confirm: msg('The passwords do not match.', { id: 'v.confirm' }) };
    if (await focusInvalid(this.errors, this, form)) return;
    this.busy = true;
    try {
      await settle(() => api.POST('/api/auth/password-reset/confirm', { body: { token: this.token, password } }));
      // Every session ended with the reset, this one too.
      if (session.signedIn) session.ended();
      notify(msg('Your password is changed. Log in with the new one.', { id: 'acct.reset-done' }));
      navigate('login', { replace: true });
    } catch (error) {
      const problem = asProblem(error);
      if (problem.fields.length > 0 && accountProblemText(problem, 'link') === undefined)
        this.errors = fieldTexts(problem);
      else this.problem = problem;
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const title = msg('Choose a new password', { id: 'route.reset' });
    if (this.token === '')
      return card(
        title,
        html`${formError(asProblemOf('invalid'), 'load')}
          <p class="switch"><a href="/forgot-password">${msg('Ask for a new link', { id: 'acct.new-link' })}</a></p>`,
        () => this.requestUpdate(),
      );
    return card(
      title,
      html`<form novalidate @submit=${this.submit} aria-busy=${this.busy ? 'true' : 'false'}>
          ${formError(this.problem, 'load')}
          ${newPasswordFields(
            { password: 'password', confirm: 'confirm' },
            { password: this.errors['password'], confirm: this.errors['confirm'] },
          )}
          ${submitButton(msg('Set the new password', { id: 'acct.set-password' }), this.busy, 'submit')}
        </form>
        <p class="switch"><a href="/forgot-password">${msg('Ask for a new link', { id: 'acct.new-link' })}</a></p>`,
      () => this.requestUpdate(),
    );
  }
}
customElements.define('cf-reset-password-page', ResetPasswordPage);

/** A refused link's problem, for a page that knows without asking (no token in the address). */
function asProblemOf(type: 'invalid'): ApiProblem {
  return new ApiProblem(400, { type });
}

/**
 * "Verify email" (route `verify-email`), opened from the mailed link: follows it at once (a loading state, then
 * success, or the refusal with what to do next). A signed-in browser gets its fresh verified token straight away.
 */
export class VerifyEmailPage extends View {
  private readonly token = linkToken();
  private readonly verification = new Task(this, {
    task: async () => {
      if (this.token === '') throw asProblemOf('invalid');
      await settle(() => api.POST('/api/auth/email-verification/confirm', { body: { token: this.token } }));
      await session.reload();
    },
    args: () => [] as const,
  });

  override render() {
    const title = msg('Verify email', { id: 'route.verify' });
    const next = session.signedIn
      ? html`<p class="switch"><a href="/">${msg('Continue', { id: 'acct.continue' })}</a></p>`
      : html`<p class="switch"><a href="/login">${msg('Log in', { id: 'route.login' })}</a></p>`;
    return card(
      title,
      this.verification.render({
        pending: () => loading(2),
        complete: () =>
          html`<wa-callout variant="success" role="status" data-testid="verified">
              <wa-icon slot="icon" name="mail-check"></wa-icon>
              ${msg('Your email address is verified.', { id: 'acct.verified' })}
            </wa-callout>
            ${next}`,
        error: (error) => html`${formError(error, 'load')} ${next}`,
      }) ?? nothing,
      () => this.requestUpdate(),
    );
  }
}
customElements.define('cf-verify-email-page', VerifyEmailPage);
