import { msg } from '@lit/localize';
import { html, nothing, type TemplateResult } from 'lit';

/**
 * A designed confirm dialog (Web Awesome): a title naming the thing, a body, the error of a failed attempt,
 * a safe "keep" button and the destructive one. `onClose` runs when it is dismissed by any means.
 */
export function confirmDialog(options: {
  open: boolean;
  label: string;
  body: string;
  confirm: string;
  busy: boolean;
  error: string | undefined;
  onConfirm: () => void;
  onClose: () => void;
}): TemplateResult {
  return html`<wa-dialog
    label=${options.label}
    ?open=${options.open}
    data-testid="confirm"
    @wa-after-hide=${(event: Event) => {
      if (event.target === event.currentTarget) options.onClose();
    }}
  >
    <p>${options.body}</p>
    ${options.error !== undefined ? html`<wa-callout variant="danger" role="alert">${options.error}</wa-callout>` : nothing}
    <div slot="footer" class="dialog-actions">
      <wa-button appearance="outlined" @click=${options.onClose}>${msg('Keep it', { id: 'acc.keep' })}</wa-button>
      <wa-button variant="danger" ?loading=${options.busy} @click=${options.onConfirm}>${options.confirm}</wa-button>
    </div>
  </wa-dialog>`;
}
