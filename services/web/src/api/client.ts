import createClient, { type Middleware } from 'openapi-fetch';
import { ApiProblem } from './problem.ts';
import type { paths } from './generated/schema.ts';

/**
 * The platform's API as the browser calls it: paths, parameters and bodies typed by the types generated
 * from the gateway's OpenAPI document (src/api/generated/schema.ts), through openapi-fetch. Same origin; the
 * access token is added by the session's middleware.
 */
export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });

let bearer: (() => string | undefined) | undefined;

const authorization: Middleware = {
  onRequest({ request }) {
    const token = bearer?.();
    if (token !== undefined) request.headers.set('authorization', `Bearer ${token}`);
    return request;
  },
};
api.use(authorization);

/** The session supplies the current access token for every call. */
export function useBearer(source: () => string | undefined): void {
  bearer = source;
}

/**
 * A success body as the document declares it. Operations whose document has no success schema yet are
 * `unknown` (read them with api/read.ts), so nothing here restates a response shape by hand.
 */
export type Body<T> = [T] extends [never] ? unknown : [T] extends [undefined] ? unknown : T;

export interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Runs a call; network failures and non-2xx answers become an ApiProblem. */
export async function settle<T>(call: () => Promise<Answer<T>>): Promise<{ body: Body<T>; response: Response }> {
  let answer: Answer<T>;
  try {
    answer = await call();
  } catch {
    throw ApiProblem.network();
  }
  if (!answer.response.ok) throw ApiProblem.from(answer.response, answer.error);
  return { body: answer.data as Body<T>, response: answer.response };
}
