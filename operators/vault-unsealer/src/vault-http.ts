/**
 * The unauthenticated part of the Vault API the unsealer drives (seal status, init, unseal, raft join, health).
 * Plain fetch with a timeout, so every answer keeps its HTTP status (node-vault's `health()` loses it).
 * Errors carry the path and status only: never a request body (which holds unseal keys) nor Vault's answer
 * text (which could echo one).
 */

export interface SealStatus {
  initialized: boolean;
  sealed: boolean;
  /** Threshold. */
  t: number;
  /** Shares. */
  n: number;
  progress: number;
  storage_type?: string;
}

export interface InitResult {
  keys: string[];
  rootToken: string;
}

export class VaultHttpError extends Error {
  /** HTTP status, or 0 when Vault was not reached. */
  readonly status: number;
  readonly path: string;

  constructor(path: string, status: number, reason?: string) {
    super(`vault ${path}: ${status === 0 ? `unreachable (${reason ?? 'error'})` : `HTTP ${status}`}`);
    this.name = 'VaultHttpError';
    this.status = status;
    this.path = path;
  }
}

export interface VaultHttpOptions {
  /** Per-request timeout. Default: 3000 ms. */
  timeoutMs?: number;
}

async function call<T>(
  address: string,
  method: 'GET' | 'PUT' | 'POST',
  path: string,
  body: unknown,
  options: VaultHttpOptions,
  okStatuses: readonly number[] = [200],
): Promise<{ status: number; body: T }> {
  let response: Response;
  try {
    response = await fetch(`${address}/v1/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 3000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string }; name?: string }).cause?.code ?? (error as Error).name;
    throw new VaultHttpError(path, 0, cause);
  }
  const text = await response.text().catch(() => '');
  if (!okStatuses.includes(response.status)) throw new VaultHttpError(path, response.status);
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new VaultHttpError(path, response.status, 'not JSON');
  }
  return { status: response.status, body: parsed as T };
}

export function sealStatus(address: string, options: VaultHttpOptions = {}): Promise<SealStatus> {
  return call<SealStatus>(address, 'GET', 'sys/seal-status', undefined, options).then((r) => r.body);
}

/** `PUT sys/init`: the only call whose answer holds keys; the caller stores them before anything else. */
export async function initialize(
  address: string,
  shares: number,
  threshold: number,
  options: VaultHttpOptions = {},
): Promise<InitResult> {
  const { body } = await call<{ keys: string[]; root_token: string }>(
    address,
    'PUT',
    'sys/init',
    { secret_shares: shares, secret_threshold: threshold },
    { timeoutMs: Math.max(options.timeoutMs ?? 0, 30_000) },
  );
  return { keys: body.keys, rootToken: body.root_token };
}

/** Submits one share. Vault answers 400 (OpenBao) or 500 (Vault) when the shares do not open the barrier. */
export function unseal(address: string, key: string, options: VaultHttpOptions = {}): Promise<SealStatus> {
  return call<SealStatus>(address, 'PUT', 'sys/unseal', { key }, options).then((r) => r.body);
}

/** Discards the shares submitted so far (by someone else, or by a run that died half-way). */
export function resetUnseal(address: string, options: VaultHttpOptions = {}): Promise<SealStatus> {
  return call<SealStatus>(address, 'PUT', 'sys/unseal', { reset: true }, options).then((r) => r.body);
}

export async function raftJoin(
  address: string,
  leaderAddress: string,
  options: VaultHttpOptions = {},
): Promise<boolean> {
  const { body } = await call<{ joined?: boolean }>(
    address,
    'POST',
    'sys/storage/raft/join',
    { leader_api_addr: leaderAddress },
    { timeoutMs: Math.max(options.timeoutMs ?? 0, 15_000) },
  );
  return body?.joined === true;
}

/** `sys/health` status: 200 active, 429 standby, 473 performance standby, 501 uninitialized, 503 sealed. */
export async function healthStatus(address: string, options: VaultHttpOptions = {}): Promise<number> {
  const { status } = await call<unknown>(
    address,
    'GET',
    'sys/health',
    undefined,
    options,
    [200, 429, 472, 473, 501, 503],
  );
  return status;
}
