import { msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { html, nothing, type TemplateResult } from 'lit';
import { api } from '../../api/client.ts';
import { asProblem } from '../../api/problem.ts';
import { session } from '../../api/session.ts';
import { formatDateTime } from '../../i18n/locale.ts';
import { fieldTexts, problemText } from '../../i18n/problems.ts';
import { forgetReturnTo, navigate } from '../../router.ts';
import { View, states } from '../base.ts';
import { emailField, newPasswordFields, passwordField, submitButton } from '../field.ts';
import { empty, failure, taskView } from '../states.ts';
import { notify } from '../toast.ts';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A form's top-level error: the catalogue's words (field errors sit at their fields). */
function formProblem(problem: unknown, context: 'password' | 'register' | 'load'): TemplateResult {
  return html`<div class="form-error" role="alert">
    ${
      problem !== undefined
        ? html`<wa-callout variant="danger">
            <wa-icon slot="icon" name="circle-alert"></wa-icon>
            <span class="error-text">${problemText(asProblem(problem), context)}</span>
            ${
              asProblem(problem).retryAfter !== undefined
                ? html` <cf-retry-hint .seconds=${asProblem(problem).retryAfter}></cf-retry-hint>`
                : nothing
            }
          </wa-callout>`
        : nothing
    }
  </div>`;
}

function currentPasswordError(texts: Record<string, string>): Record<string, string> {
  return texts['currentPassword'] !== undefined
    ? { ...texts, currentPassword: msg('This is not your current password.', { id: 'acct.current-wrong' }) }
    : texts;
}

/** Submits `form` through `send`; field errors at their fields, others above the form. */
abstract class SettingsForm extends View {
  static override properties = states('busy', 'errors', 'problem');
  declare busy: boolean;
  declare errors: Record<string, string>;
  declare problem: unknown;

  constructor() {
    super();
    this.busy = false;
    this.errors = {};
  }

  protected abstract check(data: FormData): Record<string, string>;
  protected abstract send(data: FormData): Promise<void>;

  protected async submit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    this.problem = undefined;
    this.errors = this.check(data);
    if (Object.keys(this.errors).length === 0) {
      this.busy = true;
      try {
        await this.send(data);
        form.reset();
      } catch (error) {
        const problem = asProblem(error);
        this.errors = currentPasswordError(fieldTexts(problem));
        if (Object.keys(this.errors).length === 0) this.problem = problem;
      } finally {
        this.busy = false;
      }
    }
    await this.updateComplete;
    form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }
}

/** Change the password: the current one, the new one twice. Every other session ends (the server's rule). */
export class PasswordSettings extends SettingsForm {
  protected check(data: FormData): Record<string, string> {
    const next = String(data.get('new-password') ?? '');
    if (String(data.get('current-password') ?? '') === '')
      return { currentPassword: msg('Enter your password.', { id: 'v.password-empty' }) };
    if ([...next].length < 8) return { newPassword: msg('Use at least 8 characters.', { id: 'v.password-short' }) };
    if ([...next].length > 128) return { newPassword: msg('Use at most 128 characters.', { id: 'v.password-long' }) };
    if (data.get('new-confirm') !== next)
      return { newConfirm: msg('The passwords do not match.', { id: 'v.confirm' }) };
    return {};
  }

  protected async send(data: FormData): Promise<void> {
    await session.call(() =>
      api.POST('/api/users/me/password', {
        body: {
          currentPassword: String(data.get('current-password')),
          newPassword: String(data.get('new-password')),
        },
      }),
    );
    notify(msg('Password changed. Your other devices are signed out.', { id: 'acct.password-changed' }));
  }

  override render() {
    return html`<form novalidate @submit=${this.submit} aria-busy=${this.busy ? 'true' : 'false'}>
      ${formProblem(this.problem, 'password')}
      ${passwordField({
        id: 'current-password',
        label: msg('Current password', { id: 'acct.current-password' }),
        autocomplete: 'current-password',
        error: this.errors['currentPassword'],
      })}
      ${newPasswordFields(
        { password: 'new-password', confirm: 'new-confirm' },
        { password: this.errors['newPassword'], confirm: this.errors['newConfirm'] },
      )}
      ${submitButton(msg('Change password', { id: 'acct.change-password' }), this.busy)}
    </form>`;
  }
}
customElements.define('cf-password-settings', PasswordSettings);

/** Change the address: the new one and the current password; the new one is verified by mail, the old one told. */
export class EmailSettings extends SettingsForm {
  protected check(data: FormData): Record<string, string> {
    const email = String(data.get('new-email') ?? '').trim();
    if (!EMAIL.test(email))
      return { newEmail: msg('Enter an email address like name@example.org.', { id: 'f.email' }) };
    if (String(data.get('email-password') ?? '') === '')
      return { currentPassword: msg('Enter your password.', { id: 'v.password-empty' }) };
    return {};
  }

  protected async send(data: FormData): Promise<void> {
    const newEmail = String(data.get('new-email')).trim();
    await session.call(() =>
      api.POST('/api/users/me/email', { body: { newEmail, currentPassword: String(data.get('email-password')) } }),
    );
    await session.reload();
    notify(msg(str`We sent a link to ${newEmail}. Follow it to verify the new address.`, { id: 'acct.email-sent' }));
  }

  protected override async submit(event: SubmitEvent): Promise<void> {
    await super.submit(event);
    // A taken address is a field error the server says with 409, not with a field list.
    if (this.problem !== undefined && asProblem(this.problem).status === 409) {
      this.problem = undefined;
      this.errors = { newEmail: msg('Another account uses this address.', { id: 'acct.email-taken' }) };
      await this.updateComplete;
      this.querySelector<HTMLElement>('#new-email')?.focus();
    }
  }

  override render() {
    const errors = this.errors;
    return html`<p class="page-subtitle">
        ${msg(str`Your address is ${session.user?.email ?? ''}.`, { id: 'acct.email-current' })}
      </p>
      <form novalidate @submit=${this.submit} aria-busy=${this.busy ? 'true' : 'false'}>
        ${formProblem(this.problem, 'register')}
        ${emailField('new-email', msg('New email address', { id: 'acct.new-email' }), errors['newEmail'])}
        ${passwordField({
          id: 'email-password',
          label: msg('Current password', { id: 'acct.current-password' }),
          autocomplete: 'current-password',
          error: errors['currentPassword'],
        })}
        ${submitButton(msg('Change email', { id: 'acct.change-email' }), this.busy)}
      </form>`;
  }
}
customElements.define('cf-email-settings', EmailSettings);

interface SessionRow {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
}

/** A browser's name from its user agent, well enough to tell devices apart (the full string is the tooltip). */
function deviceName(userAgent: string | null): string {
  if (userAgent === null || userAgent === '') return msg('Unknown device', { id: 'acct.device-unknown' });
  const browser = /Firefox|Edg|Chrome|Safari/.exec(userAgent)?.[0]?.replace('Edg', 'Edge') ?? '';
  const system = /Windows|Android|iPhone|iPad|Mac OS X|Linux/.exec(userAgent)?.[0]?.replace('Mac OS X', 'macOS') ?? '';
  return [browser, system].filter(Boolean).join(' · ') || userAgent.slice(0, 40);
}

/** Where the account is signed in: each session with "sign out", this one marked; "sign out everywhere". */
export class SessionsSettings extends View {
  static override properties = states('busy', 'problem');
  declare busy: string | undefined;
  declare problem: unknown;

  private readonly sessions = new Task(this, {
    task: async () => (await session.call(() => api.GET('/api/auth/sessions'))).sessions as SessionRow[],
    args: () => [] as const,
  });

  private async signedOut(): Promise<void> {
    session.ended();
    forgetReturnTo();
    navigate('login', { replace: true });
  }

  private async end(row: SessionRow): Promise<void> {
    this.busy = row.id;
    this.problem = undefined;
    try {
      await session.call(() => api.DELETE('/api/auth/sessions/{id}', { params: { path: { id: row.id } } }));
      if (row.current) return await this.signedOut();
      notify(msg('That device is signed out.', { id: 'acct.session-ended' }));
      void this.sessions.run();
    } catch (error) {
      this.problem = error;
    } finally {
      this.busy = undefined;
    }
  }

  private async everywhere(): Promise<void> {
    this.busy = 'all';
    this.problem = undefined;
    try {
      await session.call(() => api.POST('/api/auth/logout-all'));
      await this.signedOut();
    } catch (error) {
      this.problem = error;
    } finally {
      this.busy = undefined;
    }
  }

  private row(row: SessionRow) {
    return html`<li class="session-card" data-testid="session" data-current=${row.current ? 'true' : 'false'}>
      <div class="session-main">
        <wa-icon name="laptop" aria-hidden="true"></wa-icon>
        <div>
          <p class="session-device" title=${row.userAgent ?? ''}>
            ${deviceName(row.userAgent)}
            ${
              row.current
                ? html`<wa-badge variant="success" pill>${msg('This device', { id: 'acct.this-device' })}</wa-badge>`
                : nothing
            }
          </p>
          <p class="session-meta">
            ${row.ip ?? ''} · ${msg(str`last active ${formatDateTime(row.lastUsedAt)}`, { id: 'acct.last-active' })}
          </p>
        </div>
      </div>
      <wa-button
        size="s"
        appearance="outlined"
        ?loading=${this.busy === row.id}
        ?disabled=${this.busy !== undefined}
        @click=${() => void this.end(row)}
        >${
          row.current
            ? msg('Sign out this device', { id: 'acct.sign-out-this' })
            : msg('Sign out', { id: 'acct.sign-out' })
        }</wa-button
      >
    </li>`;
  }

  override render() {
    return html`${this.problem !== undefined ? failure(this.problem, 'load') : nothing}
    ${taskView(
      this.sessions,
      (rows) =>
        rows.length === 0
          ? empty('laptop', msg('No active sessions.', { id: 'acct.no-sessions' }))
          : html`<ul class="session-list" aria-label=${msg('Active sessions', { id: 'acct.sessions' })}>
                ${rows.map((row) => this.row(row))}
              </ul>
              <wa-button
                variant="danger"
                appearance="outlined"
                ?loading=${this.busy === 'all'}
                ?disabled=${this.busy !== undefined}
                @click=${() => void this.everywhere()}
                ><wa-icon slot="start" name="log-out"></wa-icon>${msg('Sign out everywhere', {
                  id: 'acct.sign-out-all',
                })}</wa-button
              >`,
      { rows: 2 },
    )}`;
  }
}
customElements.define('cf-sessions-settings', SessionsSettings);
