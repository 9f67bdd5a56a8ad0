import { STATUS_CODES } from 'node:http';

/** One failed field of a request, by JSON pointer-ish dotted path. */
export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemInit {
  /** Human-readable explanation of this occurrence. */
  detail?: string;
  /** A URI reference identifying the problem type. Default: `about:blank`. */
  type?: string;
  /** Default: the status's reason phrase. */
  title?: string;
  /** Field-level errors for validation failures. */
  errors?: FieldError[];
  /** Response headers to set with the problem, e.g. `Retry-After` or `Allow`. */
  headers?: Record<string, string>;
  /** Extra members, serialized beside the standard ones. */
  extensions?: Record<string, unknown>;
}

/**
 * An RFC 9457 problem: throw it anywhere in a request and the app's error middleware renders it as
 * `application/problem+json`. Anything else thrown becomes a 500 without internals.
 */
export class HttpProblem extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;
  readonly extensions: Record<string, unknown>;
  /** Marks problems as safe to show to the client. */
  readonly expose = true;

  constructor(status: number, init: ProblemInit = {}) {
    const title = init.title ?? STATUS_CODES[status] ?? 'Error';
    super(init.detail ?? title);
    this.name = 'HttpProblem';
    this.status = status;
    this.type = init.type ?? 'about:blank';
    this.title = title;
    this.detail = init.detail;
    this.errors = init.errors;
    this.headers = init.headers ?? {};
    this.extensions = init.extensions ?? {};
  }

  toJSON(instance?: string): Record<string, unknown> {
    return {
      ...this.extensions,
      type: this.type,
      title: this.title,
      status: this.status,
      ...(this.detail !== undefined ? { detail: this.detail } : {}),
      ...(instance !== undefined ? { instance } : {}),
      ...(this.errors !== undefined ? { errors: this.errors } : {}),
    };
  }

  static badRequest(detail: string, errors?: FieldError[]): HttpProblem {
    return new HttpProblem(400, { detail, ...(errors ? { errors } : {}) });
  }

  static unauthorized(detail = 'authentication required'): HttpProblem {
    return new HttpProblem(401, { detail, headers: { 'WWW-Authenticate': 'Bearer' } });
  }

  static forbidden(detail = 'not allowed'): HttpProblem {
    return new HttpProblem(403, { detail });
  }

  static notFound(detail = 'no such resource'): HttpProblem {
    return new HttpProblem(404, { detail });
  }

  static conflict(detail: string): HttpProblem {
    return new HttpProblem(409, { detail });
  }

  static tooManyRequests(retryAfterSeconds: number, detail = 'too many requests'): HttpProblem {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    return new HttpProblem(429, {
      detail,
      headers: { 'Retry-After': String(seconds) },
      extensions: { retryAfter: seconds },
    });
  }

  static unavailable(detail: string, retryAfterSeconds?: number): HttpProblem {
    return new HttpProblem(503, {
      detail,
      ...(retryAfterSeconds !== undefined ? { headers: { 'Retry-After': String(retryAfterSeconds) } } : {}),
    });
  }
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
