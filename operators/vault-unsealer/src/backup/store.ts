import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';

/** Where verified snapshots go: `put` stores one, `prune` keeps the newest `keep`. Names sort by time. */
export interface SnapshotStore {
  describe(): string;
  put(name: string, snapshot: Buffer, sha256: string): Promise<void>;
  /** Snapshot names held, oldest first. */
  list(): Promise<string[]>;
  /** One snapshot's bytes; throws when it is not there (or, for S3, its stored checksum does not match). */
  get(name: string): Promise<Buffer>;
  /** Deletes all but the newest `keep` snapshots; returns the names deleted. */
  prune(keep: number): Promise<string[]>;
}

export const SNAPSHOT_SUFFIX = '.snap';

/** `vault-<UTC time>.snap`: lexical order is time order. */
export function snapshotName(at = new Date()): string {
  return `vault-${at.toISOString().replace(/[:.]/g, '-')}${SNAPSHOT_SUFFIX}`;
}

/** A directory (a PVC in dev): written to a temporary name and renamed, so a half-written file never counts. */
export class DirectoryStore implements SnapshotStore {
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  describe(): string {
    return this.dir;
  }

  async put(name: string, snapshot: Buffer, sha256: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const temporary = join(this.dir, `.${name}.partial`);
    await writeFile(temporary, snapshot, { mode: 0o600, flush: true });
    await writeFile(join(this.dir, `${name}.sha256`), `${sha256}  ${name}\n`, { mode: 0o600 });
    await rename(temporary, join(this.dir, name));
  }

  async list(): Promise<string[]> {
    return (await readdir(this.dir)).filter((name) => name.endsWith(SNAPSHOT_SUFFIX)).sort();
  }

  get(name: string): Promise<Buffer> {
    return readFile(join(this.dir, name));
  }

  async prune(keep: number): Promise<string[]> {
    const names = await this.list();
    const old = names.slice(0, Math.max(0, names.length - keep));
    for (const name of old) {
      await rm(join(this.dir, name), { force: true });
      await rm(join(this.dir, `${name}.sha256`), { force: true });
    }
    return old;
  }
}

/**
 * S3-compatible object storage (AWS S3, MinIO, Ceph RGW) through @aws-sdk/client-s3. The upload carries its
 * SHA-256, which the server verifies; credentials come from the SDK's standard chain (AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY from a Kubernetes Secret, or a web identity).
 */
export class S3Store implements SnapshotStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(options: {
    bucket: string;
    prefix?: string;
    endpoint?: string;
    region?: string;
    timeoutMs?: number;
    /** Explicit keys (from Vault); without them the SDK's standard chain (environment, web identity). */
    credentials?: { accessKeyId: string; secretAccessKey: string };
  }) {
    const config: S3ClientConfig = {
      ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
      region: options.region ?? 'us-east-1',
      forcePathStyle: options.endpoint !== undefined, // MinIO and most S3-compatible servers
      requestHandler: { requestTimeout: options.timeoutMs ?? 300_000, connectionTimeout: 10_000 },
      ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    };
    this.client = new S3Client(config);
    this.bucket = options.bucket;
    const prefix = options.prefix ?? 'vault/';
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  }

  describe(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  async put(name: string, snapshot: Buffer, sha256: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: `${this.prefix}${name}`,
        Body: snapshot,
        ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
        ContentType: 'application/gzip',
      }),
    );
  }

  async list(): Promise<string[]> {
    const names: string[] = [];
    let token: string | undefined;
    // Bounded: 1,000 keys a page (the S3 maximum), at most 100 pages — far beyond any `keep`.
    for (let page = 0; page < 100; page += 1) {
      const listed = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ContinuationToken: token }),
      );
      for (const item of listed.Contents ?? []) {
        const name = item.Key?.slice(this.prefix.length);
        // Only this prefix's own level: `vault/old/x.snap` is not one of `vault/`'s snapshots.
        if (name !== undefined && name.endsWith(SNAPSHOT_SUFFIX) && !name.includes('/')) names.push(name);
      }
      token = listed.IsTruncated === true ? listed.NextContinuationToken : undefined;
      if (token === undefined) return names.sort();
    }
    throw new Error(`${this.describe()} lists more than 100,000 objects; use a prefix of its own for snapshots`);
  }

  async get(name: string): Promise<Buffer> {
    // ChecksumMode ENABLED: the SDK checks the body against the SHA-256 stored with the upload.
    const object = await this.client.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: `${this.prefix}${name}`, ChecksumMode: 'ENABLED' }),
    );
    if (object.Body === undefined) throw new Error(`${this.describe()}${name} has no body`);
    return Buffer.from(await object.Body.transformToByteArray());
  }

  /** Closes the client's connections (the CLI exits promptly). */
  close(): void {
    this.client.destroy();
  }

  async prune(keep: number): Promise<string[]> {
    const names = await this.list();
    const keys = names.map((name) => `${this.prefix}${name}`);
    const old = keys.slice(0, Math.max(0, keys.length - keep));
    for (let start = 0; start < old.length; start += 1000) {
      await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: old.slice(start, start + 1000).map((Key) => ({ Key })) },
        }),
      );
    }
    return old.map((key) => key.slice(this.prefix.length));
  }
}

/**
 * Reads the snapshot at `location`: a file path, `s3://<bucket>/<key>` (one object), or `s3://<bucket>/<prefix>/`
 * (the newest snapshot under that prefix, by name). `s3` gives the endpoint and region for S3-compatible servers;
 * credentials come from the SDK's standard chain. Throws when nothing is there.
 */
export async function readSnapshotAt(
  location: string,
  s3: { endpoint?: string; region?: string } = {},
): Promise<{ name: string; snapshot: Buffer }> {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(location);
  if (match === null) return { name: location, snapshot: await readFile(location) };
  const [, bucket, key] = match as unknown as [string, string, string];
  const slash = key.lastIndexOf('/');
  const store = new S3Store({ bucket, prefix: key.slice(0, slash + 1), ...s3 });
  try {
    let name = key.slice(slash + 1);
    if (name === '') {
      const names = await store.list();
      if (names.length === 0) throw new Error(`no snapshot under ${location}`);
      name = names[names.length - 1]!;
    }
    return { name: `${store.describe()}${name}`, snapshot: await store.get(name) };
  } finally {
    store.close();
  }
}
