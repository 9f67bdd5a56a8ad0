import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';

/** Where verified snapshots go: `put` stores one, `prune` keeps the newest `keep`. Names sort by time. */
export interface SnapshotStore {
  describe(): string;
  put(name: string, snapshot: Buffer, sha256: string): Promise<void>;
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

  async prune(keep: number): Promise<string[]> {
    const names = (await readdir(this.dir)).filter((name) => name.endsWith(SNAPSHOT_SUFFIX)).sort();
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

  constructor(options: { bucket: string; prefix?: string; endpoint?: string; region?: string; timeoutMs?: number }) {
    const config: S3ClientConfig = {
      region: options.region ?? 'us-east-1',
      forcePathStyle: options.endpoint !== undefined, // MinIO and most S3-compatible servers
      requestHandler: { requestTimeout: options.timeoutMs ?? 300_000, connectionTimeout: 10_000 },
      ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    };
    this.client = new S3Client(config);
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? 'vault/';
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

  async prune(keep: number): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ContinuationToken: token }),
      );
      for (const item of page.Contents ?? []) if (item.Key?.endsWith(SNAPSHOT_SUFFIX)) keys.push(item.Key);
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    const old = keys.sort().slice(0, Math.max(0, keys.length - keep));
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
