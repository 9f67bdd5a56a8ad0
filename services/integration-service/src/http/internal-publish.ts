import type Router from '@koa/router';
import { HttpProblem } from '@cf/kit';
import { z } from 'zod';
import type { Delivery } from '../publishing/delivery.ts';

const Body = z.object({ version: z.number().int().min(1) });

/**
 * Peer-to-peer: another replica asks this one (the holder of the account's lease) to send a due target.
 * Not in the OpenAPI document and not routed by the gateway (it forwards `/api/telegram/*` only); it takes
 * no user input beyond a target id and version, and sending a due target is what the queue would do anyway.
 */
export function mountInternalPublish(router: Router, delivery: Delivery): void {
  router.post('/internal/publish/targets/:id', async (ctx) => {
    const id = z.uuid().safeParse(ctx.params['id']);
    const body = Body.safeParse(ctx.request.body);
    if (!id.success || !body.success) throw HttpProblem.badRequest('target id and version required');
    await delivery.deliverHere(id.data, body.data.version);
    ctx.status = 204;
  });
}
