import { html } from 'lit';
import { session } from '../api.ts';
import { navigate, pathOf, type Route } from '../router.ts';
import { View } from './base.ts';
import './telegram-views.ts';

const sections: { route: Route; label: string }[] = [
  { route: 'accounts', label: 'Telegram accounts' },
  { route: 'connect-phone', label: 'Connect by phone' },
  { route: 'connect-qr', label: 'Connect by QR code' },
  { route: 'log', label: 'Integration log' },
  { route: 'stats', label: 'Error statistics' },
];

/** The logged-in shell: a sidebar that is open on wide screens and a hamburger-driven drawer on narrow ones. */
export class Dashboard extends View {
  static override properties = { route: { type: String }, menuOpen: { state: true }, loggingOut: { state: true } };

  declare route: Route;
  declare menuOpen: boolean;
  declare loggingOut: boolean;

  constructor() {
    super();
    this.route = 'accounts';
    this.menuOpen = false;
    this.loggingOut = false;
  }

  private go(route: Route, event: Event): void {
    event.preventDefault();
    this.menuOpen = false;
    navigate(route);
  }

  private async logout(): Promise<void> {
    this.loggingOut = true;
    await session.logout();
    navigate('login');
  }

  private content() {
    switch (this.route) {
      case 'connect-phone':
        return html`<cf-phone-connect></cf-phone-connect>`;
      case 'connect-qr':
        return html`<cf-qr-connect></cf-qr-connect>`;
      case 'log':
        return html`<cf-integration-log></cf-integration-log>`;
      case 'stats':
        return html`<cf-error-stats></cf-error-stats>`;
      default:
        return html`<cf-accounts></cf-accounts>`;
    }
  }

  override render() {
    const name = session.user?.displayName ?? session.user?.email ?? '';
    return html`<div class="shell ${this.menuOpen ? 'menu-open' : ''}">
      <header class="topbar">
        <button
          class="hamburger"
          type="button"
          aria-label="Open menu"
          aria-controls="sidebar"
          aria-expanded=${this.menuOpen ? 'true' : 'false'}
          @click=${() => (this.menuOpen = true)}
        >
          <span aria-hidden="true">☰</span>
        </button>
        <span class="brand">Content Factory</span>
        <span class="who" data-testid="who">${name}</span>
        <button class="secondary" type="button" @click=${this.logout} ?disabled=${this.loggingOut}>
          ${this.loggingOut ? 'Logging out…' : 'Log out'}
        </button>
      </header>
      <div
        class="overlay"
        ?hidden=${!this.menuOpen}
        @click=${() => (this.menuOpen = false)}
        data-testid="overlay"
      ></div>
      <nav id="sidebar" class="sidebar" aria-label="Main">
        <button class="close" type="button" aria-label="Close menu" @click=${() => (this.menuOpen = false)}>
          <span aria-hidden="true">×</span>
        </button>
        <ul>
          ${sections.map(
            (section) =>
              html`<li>
                <a
                  href=${pathOf(section.route)}
                  aria-current=${this.route === section.route ? 'page' : 'false'}
                  @click=${(event: Event) => this.go(section.route, event)}
                  >${section.label}</a
                >
              </li>`,
          )}
        </ul>
      </nav>
      <main class="content" id="main">${this.content()}</main>
    </div>`;
  }
}
customElements.define('cf-dashboard', Dashboard);
