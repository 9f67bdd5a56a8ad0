import { html } from 'lit';
import { session } from '../api.ts';
import { html as staticHtml, unsafeStatic } from 'lit/static-html.js';
import { navigate, pathOf } from '../router.ts';
import { routeNames, routes, type Route } from '../routes.ts';
import { View } from './base.ts';
import './telegram-views.ts';

const sections = routeNames.filter((route) => routes[route].nav);

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
    const tag = unsafeStatic(routes[this.route].element);
    return staticHtml`<${tag}></${tag}>`;
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
                  href=${pathOf(section)}
                  aria-current=${this.route === section ? 'page' : 'false'}
                  @click=${(event: Event) => this.go(section, event)}
                  >${routes[section].title}</a
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
