import { LitElement } from 'lit';

/** Views render into the light DOM so one stylesheet, the browser's form features and tests see everything. */
export class View extends LitElement {
  override createRenderRoot(): HTMLElement {
    return this;
  }
}
