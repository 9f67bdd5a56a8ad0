/** One failed field as the API names it (kit `FieldError`). */
export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * A problem answered by the API (RFC 9457), or a network failure shaped like one (status 0). It keeps what
 * the message catalogue needs to choose words — never shown as is: `detail` and field messages are server
 * strings for developers, the catalogue (i18n/problems.ts) turns type/kind/status/field into user text.
 */
export class ApiProblem extends Error {
  readonly status: number;
  /** The problem `type` URI's last segment, e.g. `code-invalid`, or `about:blank`. */
  readonly type: string;
  /** Integration-service's Telegram error kind extension, e.g. `FloodWait`. */
  readonly kind: string | undefined;
  readonly fields: FieldProblem[];
  /** Seconds from the `Retry-After` header or `retryAfter` member. */
  readonly retryAfter: number | undefined;

  constructor(
    status: number,
    init: { type?: string; kind?: string; detail?: string; fields?: FieldProblem[]; retryAfter?: number } = {},
  ) {
    super(init.detail ?? `status ${status}`);
    this.name = 'ApiProblem';
    this.status = status;
    this.type = init.type ?? 'about:blank';
    this.kind = init.kind;
    this.fields = init.fields ?? [];
    this.retryAfter = init.retryAfter;
  }

  /**
   * The problem of a failed response from its parsed body (openapi-fetch has read it already); anything
   * that is not a problem document leaves the status alone to decide the message.
   */
  static from(response: Response, parsed: unknown): ApiProblem {
    const body: Record<string, unknown> =
      typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
    const header = Number(response.headers.get('retry-after') ?? Number.NaN);
    const member = typeof body['retryAfter'] === 'number' ? body['retryAfter'] : Number.NaN;
    const retryAfter = Number.isFinite(header) ? header : Number.isFinite(member) ? member : undefined;
    const type = typeof body['type'] === 'string' ? (body['type'].split('/').pop() ?? body['type']) : undefined;
    const fields = Array.isArray(body['errors'])
      ? (body['errors'] as unknown[]).filter(
          (entry): entry is FieldProblem =>
            typeof entry === 'object' && entry !== null && 'field' in entry && 'message' in entry,
        )
      : [];
    return new ApiProblem(response.status, {
      ...(type !== undefined ? { type } : {}),
      ...(typeof body['kind'] === 'string' ? { kind: body['kind'] } : {}),
      ...(typeof body['detail'] === 'string' ? { detail: body['detail'] } : {}),
      fields,
      ...(retryAfter !== undefined ? { retryAfter: Math.ceil(retryAfter) } : {}),
    });
  }

  static network(): ApiProblem {
    return new ApiProblem(0, { detail: 'network failure' });
  }
}

export function asProblem(error: unknown): ApiProblem {
  return error instanceof ApiProblem ? error : new ApiProblem(-1, { detail: String(error) });
}
