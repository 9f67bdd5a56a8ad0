import type { z } from 'zod';
import { idLinks, type OperationLink } from './links.ts';
import type { Success } from './operations.ts';

/** An operation's success answer with its links, spread into an `operationGroup` member. */
export interface LinkedAnswer {
  success: Success;
  links: Record<string, OperationLink>;
}

/**
 * What a collection's GET answers: 200 with `schema`, whose `field` lists the items, and links from the first
 * item's id to the operations that take one (link name → `operationId`), so a client walks list → item:
 * `listAnswer('bots', 'the bots', BotList, { renameFirstBot: 'patchTelegramBotsById' })`.
 */
export function listAnswer(
  field: string,
  description: string,
  schema: z.ZodType,
  targets: Record<string, string>,
): LinkedAnswer {
  return { success: { status: 200, description, schema }, links: idLinks(`$response.body#/${field}/0/id`, targets) };
}

/**
 * What a POST that creates a resource answers: 201 with it (`schema`), and links from its id — the `idField` of
 * the answer — to the operations that take it (link name → `operationId`), so a client walks create → read →
 * update → delete.
 */
export function createdAnswer(
  description: string,
  schema: z.ZodType,
  targets: Record<string, string>,
  idField = 'id',
): LinkedAnswer {
  return { success: { status: 201, description, schema }, links: idLinks(`$response.body#/${idField}`, targets) };
}

/** What a read or an update answers: 200 with `schema`, spread into an `operationGroup` member. */
export function okAnswer(description: string, schema: z.ZodType): { success: Success } {
  return { success: { status: 200, description, schema } };
}

/** What an operation with nothing to return answers (a delete, an action): 204 with no body. */
export function noContentAnswer(description: string): { success: Success } {
  return { success: { status: 204, description } };
}
