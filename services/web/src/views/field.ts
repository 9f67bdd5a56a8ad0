import { html, nothing, type TemplateResult } from 'lit';

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
