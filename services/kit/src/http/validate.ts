import type { z } from 'zod';
import { HttpProblem, type FieldError } from './problem.ts';

/** Parses `value` with `schema`, or throws a 400 problem listing every failed field. */
export function validate<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  what = 'request body',
): z.infer<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors: FieldError[] = result.error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.join('.') : '(root)',
    message: issue.message,
  }));
  throw HttpProblem.badRequest(`${what} is invalid`, errors);
}
