import { updateWhenLocaleChanges } from '@lit/localize';
import { LitElement } from 'lit';

/**
 * Views render into the light DOM so one stylesheet, the browser's form features, ARIA references and
 * tests see everything; each re-renders when the language changes.
 */
export class View extends LitElement {
  constructor() {
    super();
    updateWhenLocaleChanges(this);
  }

  override createRenderRoot(): HTMLElement {
    return this;
  }
}
