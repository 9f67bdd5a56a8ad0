/**
 * Typed Vault failures. Messages carry Vault's own error text and the request path, never a token, key or
 * request body — node-vault's raw errors hold the request config, token header included, so they never escape.
 */
export class VaultError extends Error {
  /** HTTP status from Vault, or 0 when Vault was not reached. */
  readonly status: number;
  readonly path: string;

  constructor(message: string, status: number, path: string) {
    super(message);
    // The subclass's own name (`VaultNotFoundError`, …), so logs say which failure without a constructor each.
    this.name = new.target.name;
    this.status = status;
    this.path = path;
  }
}

/** Vault could not be reached in time, or answered that it is sealed or standby-unavailable. */
export class VaultUnavailableError extends VaultError {}

/** The token lacks a capability on the path (403), or the login was refused. */
export class VaultPermissionError extends VaultError {}

/** Nothing at that path (404). */
export class VaultNotFoundError extends VaultError {}

/** Vault rejected the request itself (400, 405, 412 ...). */
export class VaultRequestError extends VaultError {}

/** Turns whatever node-vault or axios threw into a typed error that is safe to log. */
export function toVaultError(error: unknown, path: string): VaultError {
  if (error instanceof VaultError) return error;
  const candidate = error as {
    response?: { statusCode?: number; body?: { errors?: unknown[] } };
    code?: string;
    message?: string;
  };
  const status = candidate.response?.statusCode;
  if (typeof status === 'number') {
    const first = candidate.response?.body?.errors?.[0];
    const text = typeof first === 'string' ? (first.split('\n')[0] ?? '') : `status ${status}`;
    const message = `vault ${path}: ${text}`;
    if (status === 403 || status === 401) return new VaultPermissionError(message, status, path);
    if (status === 404) return new VaultNotFoundError(message, status, path);
    if (status === 503 || status === 502 || status === 429 || status === 473) {
      return new VaultUnavailableError(message, status, path);
    }
    if (status >= 500) return new VaultError(message, status, path);
    return new VaultRequestError(message, status, path);
  }
  const code = candidate.code ?? 'ERROR';
  const reason = code === 'ECONNABORTED' || code === 'ETIMEDOUT' ? 'timed out' : `unreachable (${code})`;
  return new VaultUnavailableError(`vault ${path}: ${reason}`, 0, path);
}
