import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';

/**
 * Raft snapshots: taking one (`GET sys/storage/raft/snapshot`) and proving it complete before it is kept or
 * restored. A snapshot is a gzipped tar of `meta.json`, `state.bin`, `SHA256SUMS` (sha256 of the other two)
 * and `SHA256SUMS.sealed` (that file sealed with the barrier) — observed on OpenBao 2.7 and documented in
 * hashicorp/raft-snapshot.
 */

export class SnapshotInvalidError extends Error {
  constructor(reason: string) {
    super(`snapshot refused: ${reason}`);
    this.name = 'SnapshotInvalidError';
  }
}

export interface VerifiedSnapshot {
  bytes: number;
  /** Hex sha256 of the whole file, as stored beside it. */
  sha256: string;
  members: string[];
  /** Raft index and term the snapshot was taken at. */
  index: number;
  term: number;
}

const REQUIRED = ['meta.json', 'state.bin', 'SHA256SUMS'];

async function tarMembers(tar: Buffer): Promise<Map<string, Buffer>> {
  const members = new Map<string, Buffer>();
  const parser = extract();
  const done = new Promise<void>((resolve, reject) => {
    parser.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
      stream.on('end', () => {
        members.set(header.name, Buffer.concat(chunks));
        next();
      });
      stream.on('error', reject);
    });
    parser.on('finish', resolve);
    parser.on('error', reject);
  });
  Readable.from([tar]).pipe(parser);
  await done;
  return members;
}

/**
 * Checks a snapshot without Vault: non-empty, gunzips completely, holds the required tar members, every
 * checksum in `SHA256SUMS` matches, and `meta.json` states the size `state.bin` has. Throws
 * `SnapshotInvalidError` naming the first problem (a truncated file fails at gunzip or at a member).
 */
export async function verifySnapshot(snapshot: Buffer): Promise<VerifiedSnapshot> {
  if (snapshot.length === 0) throw new SnapshotInvalidError('empty file');
  let tar: Buffer;
  try {
    tar = gunzipSync(snapshot);
  } catch (error) {
    throw new SnapshotInvalidError(`not a complete gzip stream (${(error as Error).message})`);
  }
  let members: Map<string, Buffer>;
  try {
    members = await tarMembers(tar);
  } catch (error) {
    throw new SnapshotInvalidError(`not a complete tar archive (${(error as Error).message})`);
  }
  for (const name of REQUIRED) if (!members.has(name)) throw new SnapshotInvalidError(`member ${name} missing`);
  const sums = members.get('SHA256SUMS')!.toString('utf8').trim().split('\n');
  for (const line of sums) {
    const [sum, name] = line.trim().split(/\s+/);
    const member = name === undefined ? undefined : members.get(name);
    if (sum === undefined || member === undefined) throw new SnapshotInvalidError(`SHA256SUMS names ${name ?? '?'}`);
    if (createHash('sha256').update(member).digest('hex') !== sum) {
      throw new SnapshotInvalidError(`checksum of ${name} does not match`);
    }
  }
  let meta: { Index?: number; Term?: number; Size?: number };
  try {
    meta = JSON.parse(members.get('meta.json')!.toString('utf8')) as typeof meta;
  } catch {
    throw new SnapshotInvalidError('meta.json is not JSON');
  }
  if (meta.Size !== undefined && meta.Size !== members.get('state.bin')!.length) {
    throw new SnapshotInvalidError(
      `state.bin has ${members.get('state.bin')!.length} bytes, meta.json says ${meta.Size}`,
    );
  }
  return {
    bytes: snapshot.length,
    sha256: createHash('sha256').update(snapshot).digest('hex'),
    members: [...members.keys()],
    index: meta.Index ?? 0,
    term: meta.Term ?? 0,
  };
}

export interface VaultLogin {
  /** Vault API address, e.g. `https://vault-active.cf-vault.svc:8200`. */
  address: string;
  /** Kubernetes-auth mount and role. */
  mount?: string;
  role: string;
  /** The job's ServiceAccount token with audience `vault`. */
  jwt: string;
  /** Deadline of the login and revoke calls. Default: 10 s. */
  timeoutMs?: number;
}

async function vaultFetch(url: string, init: RequestInit, what: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new Error(`${what}: Vault unreachable (${(error as Error).name})`, { cause: error });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`${what}: HTTP ${response.status}`);
  }
  return response;
}

/** Logs in with Kubernetes auth, runs `use` with the token, and revokes the token afterwards. */
export async function withVaultLogin<T>(login: VaultLogin, use: (token: string) => Promise<T>): Promise<T> {
  const timeoutMs = login.timeoutMs ?? 10_000;
  const answer = await vaultFetch(
    `${login.address}/v1/auth/${login.mount ?? 'kubernetes'}/login`,
    {
      method: 'POST',
      body: JSON.stringify({ role: login.role, jwt: login.jwt }),
      signal: AbortSignal.timeout(timeoutMs),
    },
    `login as ${login.role}`,
  );
  const token = ((await answer.json()) as { auth?: { client_token?: string } }).auth?.client_token;
  if (token === undefined) throw new Error(`login as ${login.role}: no token in the answer`);
  try {
    return await use(token);
  } finally {
    await fetch(`${login.address}/v1/auth/token/revoke-self`, {
      method: 'POST',
      headers: { 'x-vault-token': token },
      signal: AbortSignal.timeout(timeoutMs),
    }).catch(() => undefined); // it expires on its own (TTL of the role)
  }
}

/** `GET sys/storage/raft/snapshot` into memory, at most `maxBytes` (default 2 GiB), within `timeoutMs` (default 10 min). */
export async function takeSnapshot(
  address: string,
  token: string,
  options: { timeoutMs?: number; maxBytes?: number } = {},
): Promise<Buffer> {
  const response = await vaultFetch(
    `${address}/v1/sys/storage/raft/snapshot`,
    { headers: { 'x-vault-token': token }, signal: AbortSignal.timeout(options.timeoutMs ?? 600_000) },
    'sys/storage/raft/snapshot',
  );
  const max = options.maxBytes ?? 2 ** 31;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += (chunk as Uint8Array).length;
    if (size > max) throw new Error(`snapshot larger than ${max} bytes`);
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks);
}
