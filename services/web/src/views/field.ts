import { msg } from '@lit/localize';
import { html, nothing, type ReactiveElement, type TemplateResult } from 'lit';

/**
 * A labelled native input with its error at the field: `aria-invalid` and `aria-describedby` point at
 * the error (and the hint), so a screen reader reads them with the field.
 */
export function field(options: {
  id: string;
  label: string;
  type?: string;
  error?: string | undefined;
  hint?: string | TemplateResult | undefined;
  value?: string;
  autocomplete?: string;
  inputmode?: string;
  placeholder?: string;
  maxlength?: number;
  /** The granularity of a number or time input (`datetime-local` with 1: to the second). */
  step?: number;
  required?: boolean;
  suffix?: TemplateResult;
  onInput?: (event: InputEvent) => void;
}): TemplateResult {
  const hintId = `${options.id}-hint`;
  const describedBy = [options.hint ? hintId : '', `${options.id}-error`].filter(Boolean).join(' ');
  return html`<div class="field ${options.error ? 'invalid' : ''}">
    <label for=${options.id}>${options.label}</label>
    <div class="field-control">
      <input
        id=${options.id}
        name=${options.id}
        type=${options.type ?? 'text'}
        .value=${options.value ?? ''}
        autocomplete=${options.autocomplete ?? 'off'}
        inputmode=${options.inputmode ?? nothing}
        placeholder=${options.placeholder ?? nothing}
        maxlength=${options.maxlength ?? nothing}
        step=${options.step ?? nothing}
        ?required=${options.required ?? true}
        aria-invalid=${options.error ? 'true' : 'false'}
        aria-describedby=${describedBy}
        @input=${options.onInput ?? nothing}
      />
      ${options.suffix ?? nothing}
    </div>
    ${options.hint ? html`<p class="hint" id=${hintId}>${options.hint}</p>` : nothing}
    ${fieldError(options.id, options.error)}
  </div>`;
}

/**
 * The error under a field, `<id>-error` (the id the control's `aria-describedby` names): always present, so the
 * reference holds, and empty while there is no error.
 */
export function fieldError(id: string, error: string | undefined): TemplateResult {
  return html`<p class="field-error" id="${id}-error">
    ${error ? html`<wa-icon name="circle-alert" aria-hidden="true"></wa-icon> ${error}` : nothing}
  </p>`;
}

/**
 * The form's submit button: a native one (styled by Web Awesome's native styles), because only a native
 * submit button gives the browser's implicit submission (Enter in a field) in every engine.
 */
export function submitButton(label: string, busy: boolean, className = ''): TemplateResult {
  return html`<button
    type="submit"
    class="wa-brand submit-button ${className}"
    ?disabled=${busy}
    aria-busy=${busy ? 'true' : 'false'}
  >
    ${busy ? html`<wa-spinner aria-hidden="true"></wa-spinner>` : nothing} ${label}
  </button>`;
}

/** The longest email address a mail path carries (RFC 5321 §4.5.3.1.3: 256 octets with the angle brackets). */
const EMAIL_MAX = 254;
/** The longest password the user-service takes (its `password` schema). */
const PASSWORD_MAX = 128;

/** An email address field, its error at the field. */
export function emailField(id: string, label: string, error: string | undefined): TemplateResult {
  return field({ id, label, type: 'email', autocomplete: 'email', maxlength: EMAIL_MAX, error });
}

/**
 * A password field: `autocomplete` tells a password manager whether to fill the saved one (`current-password`)
 * or offer a new one (`new-password`); `shown` makes it plain text (a Show password toggle).
 */
export function passwordField(options: {
  id: string;
  label: string;
  error: string | undefined;
  autocomplete: 'current-password' | 'new-password';
  hint?: string | undefined;
  shown?: boolean;
}): TemplateResult {
  return field({
    id: options.id,
    label: options.label,
    type: options.shown ? 'text' : 'password',
    autocomplete: options.autocomplete,
    maxlength: PASSWORD_MAX,
    error: options.error,
    hint: options.hint,
  });
}

/**
 * A new password with the rules as its hint, and its repetition: the two fields every form that sets a
 * password shows (register, reset, change). `ids` name the inputs, `errors` their errors.
 */
export function newPasswordFields(
  ids: { password: string; confirm: string },
  errors: { password: string | undefined; confirm: string | undefined },
  options: { label?: string; shown?: boolean } = {},
): TemplateResult {
  return html`${passwordField({
    id: ids.password,
    label: options.label ?? msg('New password', { id: 'acct.new-password' }),
    autocomplete: 'new-password',
    error: errors.password,
    hint: msg('At least 8 characters. Common passwords are refused.', { id: 'auth.pw-hint' }),
    shown: options.shown ?? false,
  })}
  ${passwordField({
    id: ids.confirm,
    label: msg('Repeat the password', { id: 'auth.confirm' }),
    autocomplete: 'new-password',
    error: errors.confirm,
    shown: options.shown ?? false,
  })}`;
}

/**
 * After a check found `errors`: once `view` has drawn them, focus the first invalid control in `within`
 * (WCAG 3.3.1: the user lands on what to fix). True when there was anything to fix.
 */
export async function focusInvalid(
  errors: Record<string, string>,
  view: ReactiveElement,
  within: ParentNode = view,
): Promise<boolean> {
  if (Object.keys(errors).length === 0) return false;
  await view.updateComplete;
  within.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  return true;
}
