import { msg } from '@lit/localize';
import { html } from 'lit';
import { View } from '../base.ts';
import { heading } from '../states.ts';
import { twoFactorSection } from '../two-factor/settings-section.ts';

/**
 * Security settings (issue 18). A stub that only mounts sections: engineer accountweb owns this page (password,
 * email, sessions); their version wins on merge, keeping the two-factor section's line.
 */
export class SecurityPage extends View {
  override render() {
    return html`${heading(msg('Security', { id: 'route.security' }))} ${twoFactorSection()}`;
  }
}
customElements.define('cf-security-page', SecurityPage);
