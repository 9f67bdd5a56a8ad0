import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { resolveBinary } from './binaries.ts';
import { freePort, scratchDir, spawnManaged, waitFor, type ManagedProcess } from './process.ts';

/**
 * A real S3-compatible server for tests: Versity's gateway (versitygw, pinned in versions.ts) serving a POSIX
 * directory on 127.0.0.1, with one root access key. Objects are plain files under `dataDir/<bucket>/`.
 */
export interface S3Server {
  /** `http://127.0.0.1:<port>`, for `--s3-endpoint` and the SDK's `endpoint`. */
  endpoint: string;
  region: string;
  /** The root user's keys, as the AWS SDK's standard variables. */
  credentials: { AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string };
  dataDir: string;
  /** A client for the test's own checks (path-style, as the snapshot store uses). */
  client(): S3Client;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export async function startS3Server(): Promise<S3Server> {
  const binary = await resolveBinary('versitygw');
  const work = scratchDir('s3');
  const dataDir = join(work, 'data');
  mkdirSync(dataDir);
  const port = await freePort();
  const region = 'us-east-1';
  const credentials = {
    AWS_ACCESS_KEY_ID: `cf${randomBytes(6).toString('hex')}`,
    AWS_SECRET_ACCESS_KEY: randomBytes(24).toString('base64url'),
  };
  // Keys through the environment (its ROOT_* variables), never on a command line that `ps` shows.
  const server: ManagedProcess = spawnManaged(
    binary.path,
    ['--port', `127.0.0.1:${port}`, '--region', region, 'posix', dataDir],
    {
      name: 'versitygw',
      logFile: join(work, 'versitygw.log'),
      env: {
        ROOT_ACCESS_KEY_ID: credentials.AWS_ACCESS_KEY_ID,
        ROOT_SECRET_ACCESS_KEY: credentials.AWS_SECRET_ACCESS_KEY,
      },
    },
  );
  await waitFor(() => portOpen(port), { what: 'versitygw to listen', timeoutMs: 30_000, process: server });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = (): S3Client =>
    new S3Client({
      endpoint,
      region,
      forcePathStyle: true,
      credentials: {
        accessKeyId: credentials.AWS_ACCESS_KEY_ID,
        secretAccessKey: credentials.AWS_SECRET_ACCESS_KEY,
      },
      requestHandler: { requestTimeout: 30_000, connectionTimeout: 5_000 },
    });
  return {
    endpoint,
    region,
    credentials,
    dataDir,
    client,
    async createBucket(name) {
      const s3 = client();
      try {
        await s3.send(new CreateBucketCommand({ Bucket: name }));
      } finally {
        s3.destroy();
      }
    },
    stop: () => server.stop(),
  };
}
