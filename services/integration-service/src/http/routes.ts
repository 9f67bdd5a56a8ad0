import type { Operation } from '@cf/kit';
import { accountRoutes } from './account-routes.ts';
import { botRoutes } from './bot-routes.ts';
import { loginRoutes } from './login-routes.ts';
import { channelRoutes } from './channel-routes.ts';
import { postRoutes } from './post-routes.ts';

/**
 * Every route of the service, by area: path, inputs, documented answers, auth and the handler, each declared in
 * one object. The same objects mount the routes and write the OpenAPI document.
 */
export function routes(deps: {
  logins: Parameters<typeof loginRoutes>[0];
  accounts: Parameters<typeof accountRoutes>[0];
  bots: Parameters<typeof botRoutes>[0];
  channels: Parameters<typeof channelRoutes>[0];
  posts: Parameters<typeof postRoutes>[0];
}): Operation[] {
  return [
    ...loginRoutes(deps.logins),
    ...accountRoutes(deps.accounts),
    ...botRoutes(deps.bots),
    ...channelRoutes(deps.channels),
    ...postRoutes(deps.posts),
  ];
}
