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

/**
 * Lit declarations of internal reactive state, by name: each re-renders the view when set and has no
 * attribute (`{ state: true }`, Lit's `@state()` without decorators). Spread beside public properties:
 * `static properties = { user: { attribute: false }, ...states('busy', 'errors') }`; each still needs its
 * `declare name: Type`.
 */
export function states<const Name extends string>(...names: Name[]): Record<Name, { state: true }> {
  return Object.fromEntries(names.map((name) => [name, { state: true }])) as Record<Name, { state: true }>;
}
