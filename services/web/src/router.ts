/** History-API routing: the gateway answers every non-API path with index.html, so deep links reload fine. */
export type Route = 'login' | 'register' | 'accounts' | 'connect-phone' | 'connect-qr' | 'log' | 'stats';

const paths: Record<Route, string> = {
  login: '/login',
  register: '/register',
  accounts: '/',
  'connect-phone': '/connect/phone',
  'connect-qr': '/connect/qr',
  log: '/log',
  stats: '/stats',
};

export function currentRoute(): Route {
  const found = (Object.entries(paths) as [Route, string][]).find(([, path]) => path === location.pathname);
  return found?.[0] ?? 'accounts';
}

export function pathOf(route: Route): string {
  return paths[route];
}

export function navigate(route: Route): void {
  if (location.pathname !== paths[route]) history.pushState({}, '', paths[route]);
  window.dispatchEvent(new Event('cf-navigate'));
}

/** Makes plain links navigate without a reload. */
export function linkHandler(event: MouseEvent): void {
  const anchor = (event.target as HTMLElement).closest('a');
  if (anchor === null || anchor.origin !== location.origin || event.metaKey || event.ctrlKey) return;
  const route = (Object.entries(paths) as [Route, string][]).find(([, path]) => path === anchor.pathname)?.[0];
  if (route === undefined) return;
  event.preventDefault();
  navigate(route);
}
