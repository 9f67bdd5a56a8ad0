import { routeAt, routes, type Route } from './routes.ts';

/** History-API routing: the gateway answers every non-API path with index.html, so deep links reload fine. */
export function currentRoute(): Route {
  return routeAt(location.pathname) ?? 'accounts';
}

export function pathOf(route: Route): string {
  return routes[route].path;
}

export function navigate(route: Route, options: { replace?: boolean } = {}): void {
  const path = routes[route].path;
  if (location.pathname !== path) {
    if (options.replace === true) history.replaceState({}, '', path);
    else history.pushState({}, '', path);
  }
  window.dispatchEvent(new Event('cf-navigate'));
}

/** Makes plain same-origin links to a known route navigate without a reload. */
export function linkHandler(event: MouseEvent): void {
  // composedPath: Web Awesome buttons with href render their anchor in a shadow root.
  const anchor = event.composedPath().find((node): node is HTMLAnchorElement => node instanceof HTMLAnchorElement);
  if (anchor === undefined || anchor.origin !== location.origin || event.metaKey || event.ctrlKey) return;
  if (anchor.hash !== '' && anchor.pathname === location.pathname) return; // in-page (skip link)
  const route = routeAt(anchor.pathname);
  if (route === undefined) return;
  event.preventDefault();
  navigate(route);
}

const RETURN_KEY = 'cf-return-to';

/** The private page a signed-out visitor asked for, to open after login (this tab only). */
export function rememberReturnTo(pathname: string): void {
  const route = routeAt(pathname);
  if (route !== undefined && routes[route].access === 'private' && route !== 'accounts')
    sessionStorage.setItem(RETURN_KEY, route);
}

export function takeReturnTo(): Route | undefined {
  const route = sessionStorage.getItem(RETURN_KEY) as Route | null;
  sessionStorage.removeItem(RETURN_KEY);
  return route !== null && route in routes && routes[route].access === 'private' ? route : undefined;
}

export function forgetReturnTo(): void {
  sessionStorage.removeItem(RETURN_KEY);
}
