import type { Middleware } from 'koa';
import { createApp, mountOperations, openApiDocument, type Logger, type Operation, type ServiceApp } from '@cf/kit';
import type { Accounts } from './accounts/accounts.ts';
import type { Bots } from './bots/bots.ts';
import type { Store } from './db/store.ts';
import { DOCUMENT_SCHEMAS } from './http/document-schemas.ts';
import { mountInternalPublish } from './http/internal-publish.ts';
import { ownerRouting } from './http/owner.ts';
import { telegramProblems } from './http/problems.ts';
import { routes } from './http/routes.ts';
import { refuseUnverified, type UnverifiedAction } from './http/verified-only.ts';
import type { Logins } from './logins/logins.ts';
import type { LeaseHolder } from './ownership/holder.ts';
import type { Channels } from './publishing/channels.ts';
import type { Delivery } from './publishing/delivery.ts';
import type { Posts } from './publishing/posts.ts';

export { FORWARDED_HEADER } from './http/owner.ts';

export interface IntegrationAppDeps {
  logger: Logger;
  store: Store;
  holder: LeaseHolder;
  logins: Logins;
  accounts: Accounts;
  bots: Bots;
  channels: Channels;
  posts: Posts;
  delivery: Delivery;
  authenticate: Middleware;
  /** `http://{pod}.integration-service-headless.cf-apps.svc:8080` */
  peerAddressTemplate: string;
  readiness?: Record<string, () => Promise<boolean>>;
  /** Actions refused to accounts whose address is unverified (`UNVERIFIED_MAY_NOT`). Default: none. */
  unverifiedMayNot?: readonly UnverifiedAction[];
  forwardTimeoutMs?: number;
}

/** The HTTP side of integration-service: its routes (see `http/routes.ts`), OpenAPI document and problems. */
export function createIntegrationApp(deps: IntegrationAppDeps): ServiceApp & { operations: Operation[] } {
  const service = createApp({
    name: 'integration-service',
    logger: deps.logger,
    // An image upload is one JSON body: 10 MB in base64 (4/3) and the envelope.
    bodyLimit: 14 * 1024 * 1024,
    ...(deps.readiness ? { readiness: deps.readiness } : {}),
  });
  const onOwner = ownerRouting({
    holder: deps.holder,
    peerAddressTemplate: deps.peerAddressTemplate,
    ...(deps.forwardTimeoutMs !== undefined ? { forwardTimeoutMs: deps.forwardTimeoutMs } : {}),
  });
  const declared = routes({
    logins: { store: deps.store, logins: deps.logins, onOwner },
    accounts: { store: deps.store, accounts: deps.accounts, holder: deps.holder, onOwner },
    bots: deps.bots,
    channels: { channels: deps.channels, onOwner },
    posts: deps.posts,
  });
  const operations = refuseUnverified(declared, deps.unverifiedMayNot ?? []);
  service.router.use(telegramProblems);
  mountOperations(service.router, operations, { authenticate: deps.authenticate });
  mountInternalPublish(service.router, deps.delivery);
  const document = openApiDocument(
    {
      title: 'Content Factory integration-service',
      version: '0.1.0',
      description: 'Telegram logins, accounts, bots, channels and posts',
      // requireLiveSession: user-service not answering in time is a 503, not a 401.
      authErrors: { 503: 'the session cannot be checked right now (Retry-After)' },
      schemas: DOCUMENT_SCHEMAS,
    },
    operations,
  );
  service.router.get('/openapi.json', (ctx) => {
    ctx.body = document;
  });
  return { ...service, operations };
}
