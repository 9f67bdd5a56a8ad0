import { msg } from '@lit/localize';
import { html } from 'lit';
import { html as staticHtml, unsafeStatic } from 'lit/static-html.js';
import type { ApiProblem } from './api/problem.ts';
import { session } from './api/session.ts';
import { chooseLocale, preferredLocale } from './i18n/locale.ts';
import { currentRoute, linkHandler, navigate, takeReturnTo, rememberReturnTo } from './router.ts';
import { routes, type Route } from './routes.ts';
import { View, states } from './views/base.ts';
import { failure, heading, loading } from './views/states.ts';
import './views/auth-pages.ts';
import './views/shell.ts';
import './views/account/link-pages.ts';

/**
 * The root: restores the session, guards routes by the table's `access` (a signed-out visitor never sees
 * a private page, not even by Back; login returns to the page asked for), and moves focus to the new
 * page's heading after every navigation.
 */
export class App extends View {
  static override properties = states('route', 'ready', 'loggedIn', 'unreachable');
  declare route: Route;
  declare ready: boolean;
  declare loggedIn: boolean;
  /** The page-load restore could not ask the server (after its retries): an error with Retry, not the login. */
  declare unreachable: ApiProblem | undefined;
  private navigated = false;

  constructor() {
    super();
    this.route = currentRoute();
    this.ready = false;
    this.loggedIn = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.addEventListener('click', linkHandler);
    const follow = () => {
      this.navigated = true;
      this.route = currentRoute();
      this.guard();
    };
    window.addEventListener('popstate', follow);
    window.addEventListener('cf-navigate', follow);
    session.onChange(() => {
      this.loggedIn = session.signedIn;
      this.requestUpdate(); // the shell shows the user's name once it arrives
      if (this.ready) this.guard();
    });
    void chooseLocale(preferredLocale(), false);
    void this.restore();
  }

  private async restore(): Promise<void> {
    this.ready = false;
    this.unreachable = undefined;
    const restored = await session.restore();
    if (restored.state === 'unreachable') {
      this.unreachable = restored.problem;
      this.navigated = true; // focus the error's heading
      return;
    }
    this.ready = true;
    this.loggedIn = session.signedIn;
    this.guard();
  }

  /** Public pages are for signed-out visitors, private ones for signed-in users; the URL follows. */
  private guard(): void {
    const access = routes[this.route].access;
    if (!this.loggedIn && access === 'private') {
      rememberReturnTo(location.pathname);
      navigate('login', { replace: true });
    } else if (this.loggedIn && access === 'public') {
      navigate(takeReturnTo() ?? 'accounts', { replace: true });
    }
  }

  override updated(): void {
    document.title = `${routes[this.route].title()} · Content Factory`;
    if (this.navigated) {
      this.navigated = false;
      // After the page element has rendered its heading.
      requestAnimationFrame(() =>
        requestAnimationFrame(() => this.querySelector<HTMLElement>('[data-page-heading]')?.focus()),
      );
    }
  }

  override render() {
    const skip = html`<a class="skip-link" href="#main">${msg('Skip to main content', { id: 'app.skip' })}</a>
      <wa-toast placement="top-end"></wa-toast>`;
    if (this.unreachable !== undefined)
      return html`${skip}
        <main class="auth-page" id="main" tabindex="-1" data-testid="unreachable">
          ${heading(msg('Content Factory cannot be reached', { id: 'app.unreachable.title' }))}
          ${failure(this.unreachable, 'session', () => void this.restore())}
        </main>`;
    if (!this.ready)
      return html`${skip}
        <main class="auth-page" id="main" tabindex="-1">${loading(2)}</main>`;
    const access = routes[this.route].access;
    if (!this.loggedIn || access === 'public') {
      if (access === 'private')
        return html`${skip}
          <main class="auth-page" id="main" tabindex="-1"></main>`;
      const tag = unsafeStatic(routes[this.route].element);
      return staticHtml`${skip}<${tag}></${tag}>`;
    }
    return html`${skip}<cf-shell .route=${this.route} .user=${session.user}></cf-shell>`;
  }
}
customElements.define('cf-app', App);
