import { msg, str } from '@lit/localize';
import { html, nothing } from 'lit';
import { api, settle } from '../../api/client.ts';
import { asProblem, type ApiProblem } from '../../api/problem.ts';
import { problemText } from '../../i18n/problems.ts';
import { View, states } from '../base.ts';
import { notify } from '../toast.ts';
import '../retry-hint.ts';

/**
 * The shell's banner while the address is unverified (issue 18): says where the link went and offers to send it
 * again. Too many mails (429) shows the wait once, counting down live; the button waits with it.
 */
export class VerifyBanner extends View {
  static override properties = { email: { type: String }, ...states('busy', 'problem') };
  declare email: string;
  declare busy: boolean;
  declare problem: ApiProblem | undefined;
  private waitUntil = 0;

  constructor() {
    super();
    this.email = '';
    this.busy = false;
  }

  private async resend(): Promise<void> {
    this.busy = true;
    this.problem = undefined;
    try {
      await settle(() => api.POST('/api/auth/email-verification'));
      notify(msg(str`We sent a new link to ${this.email}.`, { id: 'acct.resent' }));
    } catch (error) {
      this.problem = asProblem(error);
      if (this.problem.retryAfter !== undefined) {
        this.waitUntil = Date.now() + this.problem.retryAfter * 1000;
        setTimeout(() => this.requestUpdate(), this.problem.retryAfter * 1000 + 50);
      }
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const waiting = Date.now() < this.waitUntil;
    const problem = this.problem;
    return html`<wa-callout variant="warning" class="verify-banner" data-testid="verify-banner">
      <wa-icon slot="icon" name="mail"></wa-icon>
      <span
        >${msg(str`Verify your email address: follow the link we sent to ${this.email}.`, {
          id: 'acct.banner',
        })}</span
      >
      <div class="callout-actions">
        <wa-button
          size="s"
          appearance="outlined"
          ?loading=${this.busy}
          ?disabled=${this.busy || waiting}
          @click=${this.resend}
          >${msg('Send the link again', { id: 'acct.resend' })}</wa-button
        >
      </div>
      <div role="alert">
        ${
          problem !== undefined
            ? html`<span class="error-text">${problemText(problem, 'resend')}</span> ${
                  problem.retryAfter !== undefined
                    ? html` <cf-retry-hint .seconds=${problem.retryAfter}></cf-retry-hint>`
                    : nothing
                }`
            : nothing
        }
      </div>
    </wa-callout>`;
  }
}
customElements.define('cf-verify-banner', VerifyBanner);
