import { z } from 'zod';
import { operation, type Operation } from '@cf/kit';
import type { RevocationFeed } from '../revocations/feed.ts';
import { RevocationPage } from './responses.ts';

/** Longest a follower's poll is held open (s); below every proxy's idle timeout on the way. */
export const MAX_WAIT_SECONDS = 20;

const FeedQuery = z.object({
  after: z.coerce.number().int().min(0).default(0),
  wait: z.coerce.number().int().min(0).max(MAX_WAIT_SECONDS).default(0),
});

/**
 * The session-revocation feed for api-gateway replicas (not routed to the public: the gateway exposes only
 * /auth, /users and /admin). Session ids are not credentials; the network policy keeps it in-cluster.
 */
export function revocationRoutes(feed: RevocationFeed): Operation[] {
  return [
    operation({
      method: 'get',
      path: '/internal/session-revocations',
      summary: 'Sessions ended after feed position `after`, waiting up to `wait` seconds for one (long poll)',
      auth: 'none',
      tags: ['internal'],
      query: FeedQuery,
      success: {
        status: 200,
        description: 'the revocations after `after` and the new position',
        schema: RevocationPage,
      },
      async handler(ctx, { query }) {
        ctx.set('Cache-Control', 'no-store');
        ctx.body = await feed.since(query.after, query.wait * 1000);
      },
    }),
  ];
}
