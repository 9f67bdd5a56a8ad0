import { msg } from '@lit/localize';
import { html, type TemplateResult } from 'lit';
import { View } from '../base.ts';
import { heading } from '../states.ts';
import { twoFactorSection } from '../two-factor/settings-section.ts';
import './account-sections.ts';

/** One section of the security settings page: its heading and its content. */
export interface SecuritySection {
  id: string;
  title: () => string;
  render: () => TemplateResult;
  /** The content brings its own card and heading (the two-factor section does). */
  framed?: boolean;
}

/**
 * The security settings (issue 18), in order. Two-step verification and passkeys are one section (the two-factor
 * engineer's `twoFactorSection`): a passkey is a second factor there and a passwordless login too.
 */
export const securitySections: SecuritySection[] = [
  {
    id: 'password',
    title: () => msg('Password', { id: 'auth.password' }),
    render: () => html`<cf-password-settings></cf-password-settings>`,
  },
  {
    id: 'email',
    title: () => msg('Email address', { id: 'acct.email-section' }),
    render: () => html`<cf-email-settings></cf-email-settings>`,
  },
  {
    id: 'two-factor',
    title: () => msg('Two-step verification and passkeys', { id: 'acct.2fa-section' }),
    render: () => twoFactorSection(),
    framed: true,
  },
  {
    id: 'sessions',
    title: () => msg('Active sessions', { id: 'acct.sessions' }),
    render: () => html`<cf-sessions-settings></cf-sessions-settings>`,
  },
];

/** Security settings (route `security`): every section of `securitySections`, each a labelled region. */
export class SecurityPage extends View {
  override render() {
    return html`${heading(msg('Security', { id: 'route.security' }))}
    ${securitySections.map((section) =>
      section.framed === true
        ? section.render()
        : html`<section
            class="card settings-section"
            aria-labelledby="section-${section.id}"
            data-section=${section.id}
          >
            <h2 id="section-${section.id}">${section.title()}</h2>
            ${section.render()}
          </section>`,
    )}`;
  }
}
customElements.define('cf-security-page', SecurityPage);
