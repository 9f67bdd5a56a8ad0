/**
 * OpenAPI links (OpenAPI 3.1 §4.8.20 "Link Object"): how a value in one operation's answer feeds a parameter
 * of another, e.g. `POST /telegram/bots` → `GET /telegram/bots/{id}` with `id` = `$response.body#/id`.
 * Generated clients and Schemathesis's stateful phase follow them (create → read → update → delete).
 */
export interface OperationLink {
  /** The target operation's `operationId`, in the same service's document. */
  operationId: string;
  /**
   * Target parameter name → runtime expression (OpenAPI 3.1 §4.8.20.4), e.g. `$response.body#/id`,
   * `$response.body#/users/0/id` or `$request.path.id`.
   */
  parameters: Record<string, string>;
  description?: string;
}

/** The path parameters of a koa-router path (`/posts/:id/targets/:targetId` → `['id', 'targetId']`). */
export function pathParameters(path: string): string[] {
  return [...path.matchAll(/:(\w+)/g)].map((match) => match[1]!);
}

const EXPRESSION = /^\$(response\.body#(\/[^/]*)*|request\.path\.\w+|request\.body#(\/[^/]*)*)$/;

interface LinkSource {
  method: string;
  path: string;
  operationId: string;
  links?: Record<string, OperationLink>;
}

/**
 * The `links` object of a success response, after checking every link names an operation of the same
 * document, only path parameters that operation has, and well-formed expressions. Throws at document
 * build (service start) otherwise, so a renamed route cannot leave a dangling link behind.
 */
export function linksOf(source: LinkSource, targets: ReadonlyMap<string, { path: string }>): Record<string, unknown> {
  const links: Record<string, unknown> = {};
  for (const [name, link] of Object.entries(source.links ?? {})) {
    const where = `link ${name} of ${source.method.toUpperCase()} ${source.path}`;
    const target = targets.get(link.operationId);
    if (target === undefined) throw new Error(`${where}: no operation ${link.operationId}`);
    const wanted = pathParameters(target.path);
    for (const [parameter, expression] of Object.entries(link.parameters)) {
      if (!wanted.includes(parameter)) throw new Error(`${where}: ${link.operationId} has no parameter ${parameter}`);
      if (!EXPRESSION.test(expression)) throw new Error(`${where}: ${expression} is not a runtime expression`);
      const fromPath = /^\$request\.path\.(\w+)$/.exec(expression)?.[1];
      if (fromPath !== undefined && !pathParameters(source.path).includes(fromPath)) {
        throw new Error(`${where}: ${source.path} has no path parameter ${fromPath}`);
      }
    }
    const missing = wanted.filter((parameter) => !(parameter in link.parameters));
    if (missing.length > 0) throw new Error(`${where}: no value for ${missing.join(', ')}`);
    links[name] = {
      operationId: link.operationId,
      parameters: link.parameters,
      ...(link.description !== undefined ? { description: link.description } : {}),
    };
  }
  return links;
}

/**
 * Links that all feed one value into their target's `id` path parameter — the usual case of an answer naming a
 * resource that other operations take by id: `idLinks('$response.body#/id', { getBot: 'getTelegramBotsById' })`
 * is `{ getBot: { operationId: 'getTelegramBotsById', parameters: { id: '$response.body#/id' } } }`.
 * `expression` is an OpenAPI runtime expression (checked, like every link, when the document is built);
 * `targets` maps each link's name to its target `operationId`.
 */
export function idLinks(expression: string, targets: Record<string, string>): Record<string, OperationLink> {
  return Object.fromEntries(
    Object.entries(targets).map(([name, operationId]) => [name, { operationId, parameters: { id: expression } }]),
  );
}
