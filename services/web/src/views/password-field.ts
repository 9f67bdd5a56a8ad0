import { html, type TemplateResult } from 'lit';

/** A password input with a show/hide toggle that keeps focus and announces its state. */
export function passwordField(options: {
  id: string;
  label: string;
  visible: boolean;
  toggle: () => void;
  error?: string | undefined;
  autocomplete: 'current-password' | 'new-password';
  minlength?: number;
}): TemplateResult {
  const errorId = `${options.id}-error`;
  return html`<div class="field">
    <label for=${options.id}>${options.label}</label>
    <div class="with-toggle">
      <input
        id=${options.id}
        name=${options.id}
        type=${options.visible ? 'text' : 'password'}
        autocomplete=${options.autocomplete}
        required
        minlength=${options.minlength ?? 1}
        maxlength="128"
        aria-invalid=${options.error ? 'true' : 'false'}
        aria-describedby=${errorId}
      />
      <button
        type="button"
        class="toggle"
        aria-pressed=${options.visible ? 'true' : 'false'}
        aria-controls=${options.id}
        @click=${options.toggle}
      >
        ${options.visible ? 'Hide' : 'Show'}<span class="visually-hidden"> password</span>
      </button>
    </div>
    <p class="field-error" id=${errorId} role="alert">${options.error ?? ''}</p>
  </div>`;
}
