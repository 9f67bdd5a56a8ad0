import { html } from 'lit';
import { session } from './api.ts';
import { currentRoute, linkHandler, navigate, type Route } from './router.ts';
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
      const onAuthPage = this.route === 'login' || this.route === 'register';
      if (!this.loggedIn && !onAuthPage) navigate('login');
      if (this.loggedIn && onAuthPage) navigate('accounts');
    });
    void session.restore().finally(() => {
      this.ready = true;
      this.loggedIn = session.user !== undefined;
      if (!this.loggedIn && this.route !== 'register') navigate('login');
      if (this.loggedIn && (this.route === 'login' || this.route === 'register')) navigate('accounts');
    });
  }

  override updated(): void {
    const titles: Record<Route, string> = {
      login: 'Log in',
      register: 'Create account',
      accounts: 'Telegram accounts',
      'connect-phone': 'Connect by phone',
      'connect-qr': 'Connect by QR code',
      log: 'Integration log',
      stats: 'Error statistics',
    };
    document.title = `${titles[this.route]} · Content Factory`;
  }

  override render() {
    if (!this.ready)
      return html`<main class="auth-page" id="main" aria-busy="true">
        <p><span class="spinner" aria-hidden="true"></span> Loading…</p>
      </main>`;
    if (!this.loggedIn)
      return html`<cf-auth-form .mode=${this.route === 'register' ? 'register' : 'login'}></cf-auth-form>`;
    return html`<cf-dashboard .route=${this.route}></cf-dashboard>`;
  }
}
customElements.define('cf-app', App);
