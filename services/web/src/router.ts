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
  const anchor = (event.target as HTMLElement).closest('a');
  if (anchor === null || anchor.origin !== location.origin || event.metaKey || event.ctrlKey) return;
  const route = routeAt(anchor.pathname);
  if (route === undefined) return;
  event.preventDefault();
  navigate(route);
}
