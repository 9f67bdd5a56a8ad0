import { msg, str } from '@lit/localize';
import { html, nothing } from 'lit';
import { formatCountdown } from '../i18n/locale.ts';
import { View, states } from './base.ts';

/**
 * "Try again in 0:42", counting down live from the server's Retry-After; gone at zero. Shown once per
 * problem (the problem's text never repeats the number). A timer role keeps screen readers from
 * announcing every tick.
 */
export class RetryHint extends View {
  static override properties = { seconds: { type: Number }, ...states('left') };
  declare seconds: number;
  declare left: number;
  private until = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor() {
    super();
    this.seconds = 0;
    this.left = 0;
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('seconds')) {
      this.until = Date.now() + this.seconds * 1000;
      this.left = this.seconds;
      clearInterval(this.timer);
      this.timer = setInterval(() => {
        this.left = Math.max(0, Math.ceil((this.until - Date.now()) / 1000));
        if (this.left === 0) clearInterval(this.timer);
      }, 1000);
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.timer);
  }

  override render() {
    if (this.left <= 0) return nothing;
    return html`<span class="retry-hint" role="timer" data-testid="retry-hint"
      >${msg(str`Try again in ${formatCountdown(this.left)}.`, { id: 'state.retry-in' })}</span
    >`;
  }
}
customElements.define('cf-retry-hint', RetryHint);
