import type { Context } from 'koa';
import { HttpProblem } from '@cf/kit';
import type { LeaseHolder } from '../ownership/holder.ts';

export const FORWARDED_HEADER = 'x-cf-forwarded-by';

export interface OwnerRoutingOptions {
  holder: LeaseHolder;
  /** `http://{pod}.integration-service-headless.cf-apps.svc:8080` */
  peerAddressTemplate: string;
  /** Deadline of a forwarded request. Default: 15 s. */
  forwardTimeoutMs?: number;
}

/**
 * Runs a request on the pod that owns its resource: here when this pod holds (or can adopt) it, else
 * proxied once to the owner, which verifies the token again. A forwarded request is never forwarded again.
 */
export function ownerRouting(options: OwnerRoutingOptions) {
  const forward = async (ctx: Context, pod: string): Promise<void> => {
    if (ctx.get(FORWARDED_HEADER) !== '') {
      throw HttpProblem.unavailable('ownership is moving; try again', 1);
    }
    const url = options.peerAddressTemplate.replace('{pod}', pod) + ctx.originalUrl;
    let response: Response;
    try {
      response = await fetch(url, {
        method: ctx.method,
        headers: {
          authorization: ctx.get('authorization'),
          'content-type': 'application/json',
          'x-request-id': String(ctx.state['requestId'] ?? ''),
          [FORWARDED_HEADER]: options.holder.pod,
        },
        ...(ctx.request.body !== undefined ? { body: JSON.stringify(ctx.request.body) } : {}),
        signal: AbortSignal.timeout(options.forwardTimeoutMs ?? 15_000),
      });
    } catch (error) {
      if ((error as { name?: string }).name === 'TimeoutError') {
        throw new HttpProblem(504, {
          detail: 'the owning instance did not answer in time; try again shortly',
          headers: { 'Retry-After': '2' },
        });
      }
      throw HttpProblem.unavailable('the owning instance does not answer; try again shortly', 2);
    }
    ctx.status = response.status;
    for (const header of ['content-type', 'retry-after', 'www-authenticate']) {
      const value = response.headers.get(header);
      if (value !== null) ctx.set(header, value);
    }
    const text = await response.text();
    if (text !== '') ctx.body = text;
  };

  return async function onOwner(ctx: Context, resource: string, local: () => Promise<void>): Promise<void> {
    const route = await options.holder.route(resource);
    if (route.local) return local();
    if ('pod' in route) return forward(ctx, route.pod);
    throw HttpProblem.unavailable('ownership is moving; try again', route.retryAfter);
  };
}
