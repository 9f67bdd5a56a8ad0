import { html } from 'lit';
import { session } from './api.ts';
import { currentRoute, linkHandler, navigate } from './router.ts';
import { routes, type Route } from './routes.ts';
import { View } from './views/base.ts';
import './views/auth-forms.ts';
import './views/dashboard.ts';

/** The root: waits for the session restore, then shows the auth forms or the dashboard for the route. */
export class App extends View {
  static override properties = { route: { state: true }, ready: { state: true }, loggedIn: { state: true } };
  declare route: Route;
  declare ready: boolean;
  declare loggedIn: boolean;

  constructor() {
    super();
    this.route = currentRoute();
    this.ready = false;
    this.loggedIn = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.addEventListener('click', linkHandler);
    window.addEventListener('popstate', () => (this.route = currentRoute()));
    window.addEventListener('cf-navigate', () => (this.route = currentRoute()));
    session.onChange((user) => {
      this.loggedIn = user !== undefined;
      const onAuthPage = routes[this.route].access === 'public';
      if (!this.loggedIn && !onAuthPage) navigate('login');
      if (this.loggedIn && onAuthPage) navigate('accounts');
    });
    void session.restore().finally(() => {
      this.ready = true;
      this.loggedIn = session.user !== undefined;
      const publicPage = routes[this.route].access === 'public';
      if (!this.loggedIn && !publicPage) navigate('login');
      if (this.loggedIn && publicPage) navigate('accounts');
    });
  }

  override updated(): void {
    document.title = `${routes[this.route].title} · Content Factory`;
  }

  override render() {
    if (!this.ready)
      return html`<main class="auth-page" id="main" aria-busy="true">
        <p><span class="spinner" aria-hidden="true"></span> Loading…</p>
      </main>`;
    if (!this.loggedIn)
      return this.route === 'register'
        ? html`<cf-register-page></cf-register-page>`
        : html`<cf-login-page></cf-login-page>`;
    return html`<cf-dashboard .route=${this.route}></cf-dashboard>`;
  }
}
customElements.define('cf-app', App);
