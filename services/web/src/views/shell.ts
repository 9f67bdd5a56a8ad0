import { msg } from '@lit/localize';
import { html, nothing } from 'lit';
import { html as staticHtml, unsafeStatic } from 'lit/static-html.js';
import { session, type User } from '../api/session.ts';
import { logo, logoMark } from '../design/logo.ts';
import { chooseTheme, effectiveTheme, nextTheme, themeChoice, type ThemeChoice } from '../design/theme.ts';
import { phrase, type Phrases } from '../i18n/code-words.ts';
import { chooseLocale, getLocale, type Locale } from '../i18n/locale.ts';
import { forgetReturnTo, navigate, pathOf } from '../router.ts';
import { routeNames, routes, type Route, type RouteEntry } from '../routes.ts';
import { View, states } from './base.ts';
import './accounts-page.ts';
import './phone-page.ts';
import './qr-page.ts';
import './log-page.ts';
import './stats-page.ts';
import './settings/security-page.ts';
import './admin/admin-page.ts';
import './account/verify-banner.ts';
import './account/link-pages.ts';

/** Pages loaded on first visit (views/publishing/pages.ts), so the dashboard's first load stays small. */
const lazyPages: Partial<Record<Route, () => Promise<unknown>>> = {
  channels: () => import('./publishing/pages.ts'),
  bots: () => import('./publishing/pages.ts'),
  posts: () => import('./publishing/pages.ts'),
};

const sections = routeNames.filter((route) => routes[route].nav);

const themeLabels: Phrases<ThemeChoice> = {
  light: phrase('Theme: light', 'theme.light'),
  dark: phrase('Theme: dark', 'theme.dark'),
  system: phrase('Theme: system', 'theme.system'),
};

/** Theme toggle and language switch, shared by the shell and the sign-in pages. */
export function preferences(onChange: () => void) {
  const choice = themeChoice();
  const label = themeLabels[choice]();
  const icon = choice === 'system' ? 'monitor' : effectiveTheme(choice) === 'dark' ? 'moon' : 'sun';
  return html`<div class="preferences">
    <button
      type="button"
      class="wa-plain icon-button"
      data-testid="theme-toggle"
      title=${label}
      aria-label=${label}
      @click=${() => {
        chooseTheme(nextTheme());
        onChange();
      }}
    >
      <wa-icon name=${icon} aria-hidden="true"></wa-icon>
    </button>
    <wa-icon class="language-icon" name="languages" aria-hidden="true"></wa-icon>
    <select
      class="language"
      data-testid="language"
      aria-label=${msg('Language', { id: 'pref.language' })}
      @change=${(event: Event) => void chooseLocale((event.target as HTMLSelectElement).value as Locale)}
    >
      <option value="en" ?selected=${getLocale() === 'en'} lang="en">English</option>
      <option value="ru" ?selected=${getLocale() === 'ru'} lang="ru">Русский</option>
    </select>
  </div>`;
}

/**
 * The signed-in layout: a sidebar on wide screens; below 900 px a modal Web Awesome drawer (focus trapped,
 * Escape closes it, focus returns to the menu button). The top bar always shows who is signed in.
 */
export class Shell extends View {
  static override properties = {
    route: { type: String },
    user: { attribute: false },
    ...states('menuOpen', 'loggingOut'),
  };
  declare route: Route;
  declare user: User | undefined;
  declare menuOpen: boolean;
  declare loggingOut: boolean;

  constructor() {
    super();
    this.route = 'accounts';
    this.menuOpen = false;
    this.loggingOut = false;
  }

  /** Set when a page was chosen in the drawer: its heading gets focus once the drawer has closed. */
  private focusAfterDrawer = false;

  private go(route: Route, event: Event): void {
    event.preventDefault();
    this.focusAfterDrawer = this.menuOpen;
    this.menuOpen = false;
    navigate(route);
  }

  /** The drawer hands focus back to the menu button as it closes; after a navigation the heading wants it. */
  private drawerClosed(event: Event): void {
    if (event.target !== event.currentTarget) return;
    this.menuOpen = false;
    if (this.focusAfterDrawer) {
      this.focusAfterDrawer = false;
      // Web Awesome refocuses the trigger in a timeout queued just before this event; ours runs after it.
      setTimeout(() => this.querySelector<HTMLElement>('[data-page-heading]')?.focus());
    }
  }

  private async logout(): Promise<void> {
    this.loggingOut = true;
    this.menuOpen = false;
    await session.logout();
    forgetReturnTo();
    navigate('login', { replace: true });
  }

  /** Routes for one role (the admin console) are not offered to anyone else. */
  private mayOpen(route: Route): boolean {
    const role: string | undefined = (routes[route] as RouteEntry).role;
    return role === undefined || this.user?.role === role;
  }

  private nav(id: string) {
    return html`<nav class="nav" aria-label=${msg('Main', { id: 'shell.nav' })} id=${id}>
      <ul>
        ${sections
          .filter((section) => this.mayOpen(section))
          .map(
            (section) =>
              html`<li>
                <a
                  href=${pathOf(section)}
                  aria-current=${this.route === section ? 'page' : 'false'}
                  @click=${(event: Event) => this.go(section, event)}
                  ><wa-icon name=${routes[section].icon} aria-hidden="true"></wa-icon>${routes[section].title()}</a
                >
              </li>`,
          )}
      </ul>
    </nav>`;
  }

  private logoutButton() {
    return html`<wa-button
      appearance="outlined"
      size="s"
      @click=${this.logout}
      ?loading=${this.loggingOut}
      ?disabled=${this.loggingOut}
    >
      <wa-icon slot="start" name="log-out"></wa-icon>${msg('Log out', { id: 'shell.logout' })}
    </wa-button>`;
  }

  override render() {
    const user = this.user;
    const name = user?.displayName ?? user?.email ?? '';
    const tag = unsafeStatic(routes[this.route].element);
    void lazyPages[this.route]?.();
    return html`<div class="shell">
      <header class="topbar">
        <wa-button
          class="menu-button"
          appearance="plain"
          aria-controls="drawer"
          aria-expanded=${this.menuOpen ? 'true' : 'false'}
          @click=${() => (this.menuOpen = true)}
        >
          <wa-icon name="menu" label=${msg('Open menu', { id: 'shell.open-menu' })}></wa-icon>
        </wa-button>
        <a class="brand" href="/" aria-label="Content Factory">${logo()}</a>
        <span class="who" data-testid="who" title=${name}>
          <wa-icon name="user" aria-hidden="true"></wa-icon><span class="who-name">${name}</span>
        </span>
        <div class="topbar-actions">${preferences(() => this.requestUpdate())} ${this.logoutButton()}</div>
      </header>
      <aside class="sidebar">${this.nav('sidebar')}</aside>
      <wa-drawer
        id="drawer"
        placement="start"
        label=${msg('Menu', { id: 'shell.menu' })}
        ?open=${this.menuOpen}
        light-dismiss
        @wa-after-hide=${this.drawerClosed}
      >
        <span slot="label" class="drawer-label">${logoMark(24)} ${msg('Menu', { id: 'shell.menu' })}</span>
        ${this.nav('drawer-nav')}
        <div slot="footer" class="drawer-footer">${preferences(() => this.requestUpdate())} ${this.logoutButton()}</div>
      </wa-drawer>
      <main class="content" id="main" tabindex="-1">
        ${
          user !== undefined && !user.emailVerified && this.route !== 'verify-email'
            ? html`<cf-verify-banner .email=${user.email}></cf-verify-banner>`
            : nothing
        }
        ${staticHtml`<${tag}></${tag}>`}
      </main>
    </div>`;
  }
}
customElements.define('cf-shell', Shell);
