import { msg } from '@lit/localize';

/**
 * The one route table: every page's path, the element that renders it, its title and who may see it.
 * The router, the document title, the auth guard and the sidebar all read this table and nothing else.
 */
export interface RouteEntry {
  path: string;
  /** The custom element rendering the page (one element per route). */
  element: string;
  /** The page's title in the current language. */
  title: () => string;
  /** Icon name (design/icon-names.ts) in the sidebar. */
  icon: string;
  /**
   * `public` pages are for signed-out visitors; `private` ones need a session; `any` pages (links from mails) serve
   * both, in the shell when signed in.
   */
  access: 'public' | 'private' | 'any';
  /** Shown in the dashboard's sidebar when true. */
  nav: boolean;
  /** Only for accounts with this role: hidden from the sidebar, and a not-found page for everyone else. */
  role?: 'admin';
}

export const routes = {
  login: {
    path: '/login',
    element: 'cf-login-page',
    title: () => msg('Log in', { id: 'route.login' }),
    icon: 'log-in',
    access: 'public',
    nav: false,
  },
  register: {
    path: '/register',
    element: 'cf-register-page',
    title: () => msg('Create account', { id: 'route.register' }),
    icon: 'user-plus',
    access: 'public',
    nav: false,
  },
  accounts: {
    path: '/',
    element: 'cf-accounts',
    title: () => msg('Telegram accounts', { id: 'route.accounts' }),
    icon: 'users',
    access: 'private',
    nav: true,
  },
  'connect-phone': {
    path: '/connect/phone',
    element: 'cf-phone-connect',
    title: () => msg('Connect by phone', { id: 'route.phone' }),
    icon: 'smartphone',
    access: 'private',
    nav: true,
  },
  'connect-qr': {
    path: '/connect/qr',
    element: 'cf-qr-connect',
    title: () => msg('Connect by QR code', { id: 'route.qr' }),
    icon: 'qr-code',
    access: 'private',
    nav: true,
  },
  log: {
    path: '/log',
    element: 'cf-integration-log',
    title: () => msg('Integration log', { id: 'route.log' }),
    icon: 'scroll-text',
    access: 'private',
    nav: true,
  },
  stats: {
    path: '/stats',
    element: 'cf-error-stats',
    title: () => msg('Error statistics', { id: 'route.stats' }),
    icon: 'chart-bar',
    access: 'private',
    nav: true,
  },
  security: {
    path: '/settings/security',
    element: 'cf-security-page',
    title: () => msg('Security', { id: 'route.security' }),
    icon: 'shield-check',
    access: 'private',
    nav: true,
  },
  // Publishing (issue 17; engineer webpub): lazily loaded pages (views/publishing/pages.ts).
  channels: {
    path: '/channels',
    element: 'cf-channels-page',
    title: () => msg('Channels', { id: 'route.channels' }),
    icon: 'megaphone',
    access: 'private',
    nav: true,
  },
  bots: {
    path: '/bots',
    element: 'cf-bots-page',
    title: () => msg('Bots', { id: 'route.bots' }),
    icon: 'bot',
    access: 'private',
    nav: true,
  },
  posts: {
    path: '/posts',
    element: 'cf-posts-page',
    title: () => msg('Posts', { id: 'route.posts' }),
    icon: 'send',
    access: 'private',
    nav: true,
  },
  // Admin console (issue 18 item 6)
  admin: {
    path: '/admin',
    element: 'cf-admin-page',
    title: () => msg('Administration', { id: 'route.admin' }),
    icon: 'user-cog',
    access: 'private',
    nav: true,
    role: 'admin',
  },
  // Issue 18's account pages (engineer accountweb): links from mails and the forgotten password.
  'forgot-password': {
    path: '/forgot-password',
    element: 'cf-forgot-password-page',
    title: () => msg('Forgot password', { id: 'route.forgot' }),
    icon: 'key-round',
    access: 'public',
    nav: false,
  },
  'reset-password': {
    path: '/reset-password',
    element: 'cf-reset-password-page',
    title: () => msg('Choose a new password', { id: 'route.reset' }),
    icon: 'key-round',
    access: 'any',
    nav: false,
  },
  'verify-email': {
    path: '/verify-email',
    element: 'cf-verify-email-page',
    title: () => msg('Verify email', { id: 'route.verify' }),
    icon: 'mail-check',
    access: 'any',
    nav: false,
  },
} as const satisfies Record<string, RouteEntry>;

export type Route = keyof typeof routes;

export const routeNames = Object.keys(routes) as Route[];

/** The route whose path is `pathname`, or undefined. */
export function routeAt(pathname: string): Route | undefined {
  return routeNames.find((name) => routes[name].path === pathname);
}
