// Operator commands for Vault backups and disaster recovery; see the README's runbook.
//   node src/cli.ts snapshot --address URL (--dir DIR | --s3-bucket NAME [--s3-endpoint URL] | --s3-from-vault KV) [--keep 7]
//   node src/cli.ts verify <snapshot>
//   node src/cli.ts restore <snapshot> --address URL [--pod vault-0] [--namespace cf-vault] [--key-secret vault-unseal-keys]
//   node src/cli.ts keys export --recipient age1... [--recipient ...] --out keys.age
//   node src/cli.ts keys import <keys.age> --identity-file operator.key
//   node src/cli.ts keys new-identity
// <snapshot> is a file, s3://BUCKET/KEY, or s3://BUCKET/PREFIX/ for the newest there (with --s3-endpoint/--s3-region
// for S3-compatible servers; credentials from the AWS SDK's standard variables).
// Kubernetes access (key Secret) comes from KUBECONFIG or the in-cluster ServiceAccount.
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { exportKeys, importKeys, newOperatorKey } from './backup/key-export.ts';
import { restoreSnapshot } from './backup/restore.ts';
import { runSnapshotJob } from './backup/snapshot-job.ts';
import { verifySnapshot } from './backup/snapshot.ts';
import { loadCliEnv } from './backup/cli-env.ts';
import { readObjectStoreSecret } from './backup/object-store-secret.ts';
import { DirectoryStore, readSnapshotAt, S3Store, type SnapshotStore } from './backup/store.ts';
import { KeyStore } from './key-store.ts';
import { makeApiClientWithDeadline } from './kube-deadline.ts';
import { trustVaultCa } from './vault-tls.ts';

const options = {
  address: { type: 'string' },
  role: { type: 'string', default: 'vault-snapshot' },
  mount: { type: 'string', default: 'kubernetes' },
  'jwt-file': { type: 'string', default: '/var/run/secrets/vault.content-factory.dev/serviceaccount/token' },
  dir: { type: 'string' },
  's3-bucket': { type: 'string' },
  's3-endpoint': { type: 'string' },
  's3-prefix': { type: 'string' },
  's3-region': { type: 'string' },
  's3-from-vault': { type: 'string' },
  keep: { type: 'string', default: '7' },
  pushgateway: { type: 'string' },
  namespace: { type: 'string', default: loadCliEnv().VAULT_NAMESPACE ?? 'cf-vault' },
  'key-secret': { type: 'string', default: 'vault-unseal-keys' },
  'key-secrets': { type: 'string', default: '1' },
  recipient: { type: 'string', multiple: true },
  out: { type: 'string' },
  'identity-file': { type: 'string' },
  pod: { type: 'string', default: 'vault-0' },
  'ca-cert': { type: 'string' },
} as const;

class UsageError extends Error {}

const log = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

function core(): CoreV1Api {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  return makeApiClientWithDeadline(kubeConfig, CoreV1Api);
}

function keyStore(values: { namespace: string; 'key-secret': string; 'key-secrets': string }): KeyStore {
  return new KeyStore(core(), values.namespace, values['key-secret'], Number(values['key-secrets']));
}

type StoreFlags = {
  dir?: string;
  's3-bucket'?: string;
  's3-endpoint'?: string;
  's3-prefix'?: string;
  's3-region'?: string;
  's3-from-vault'?: string;
};

function store(values: StoreFlags, address: string): SnapshotStore | ((token: string) => Promise<SnapshotStore>) {
  if (values.dir !== undefined) return new DirectoryStore(values.dir);
  const fromVault = values['s3-from-vault'];
  if (fromVault !== undefined) {
    // Endpoint and keys from Vault, read with the job's own token; flags fill what the secret leaves out.
    return async (token) => {
      const secret = await readObjectStoreSecret(address, token, fromVault);
      const bucket = secret.bucket ?? values['s3-bucket'];
      if (bucket === undefined) throw new UsageError(`neither ${fromVault} nor --s3-bucket names a bucket`);
      const endpoint = secret.endpoint ?? values['s3-endpoint'];
      const region = secret.region ?? values['s3-region'];
      const prefix = secret.prefix ?? values['s3-prefix'];
      return new S3Store({
        bucket,
        credentials: { accessKeyId: secret.access_key_id, secretAccessKey: secret.secret_access_key },
        ...(endpoint !== undefined ? { endpoint } : {}),
        ...(region !== undefined ? { region } : {}),
        ...(prefix !== undefined ? { prefix } : {}),
      });
    };
  }
  if (values['s3-bucket'] !== undefined) {
    return new S3Store({
      bucket: values['s3-bucket'],
      ...(values['s3-endpoint'] !== undefined ? { endpoint: values['s3-endpoint'] } : {}),
      ...(values['s3-prefix'] !== undefined ? { prefix: values['s3-prefix'] } : {}),
      ...(values['s3-region'] !== undefined ? { region: values['s3-region'] } : {}),
    });
  }
  throw new UsageError('snapshot needs --dir DIR, --s3-bucket NAME or --s3-from-vault KV_PATH');
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
  const env = loadCliEnv();
  const caFile = values['ca-cert'] ?? env.VAULT_CACERT;
  if (caFile !== undefined) trustVaultCa(await readFile(caFile, 'utf8'));
  const [command, ...rest] = positionals;
  const s3Location = {
    ...(values['s3-endpoint'] !== undefined ? { endpoint: values['s3-endpoint'] } : {}),
    ...(values['s3-region'] !== undefined ? { region: values['s3-region'] } : {}),
  };
  const address = (): string => {
    const value = values.address ?? env.VAULT_ADDR;
    if (value === undefined) throw new UsageError('--address (or VAULT_ADDR) is required');
    return value.replace(/\/+$/, '');
  };
  switch (command) {
    case 'snapshot': {
      const keep = Number(values.keep);
      if (!Number.isInteger(keep) || keep < 1) throw new UsageError('--keep must be a positive integer');
      const result = await runSnapshotJob({
        login: {
          address: address(),
          role: values.role,
          mount: values.mount,
          jwt: (await readFile(values['jwt-file'], 'utf8')).trim(),
        },
        store: store(values, address()),
        keep,
        ...(values.pushgateway !== undefined ? { pushgateway: values.pushgateway } : {}),
        log,
      });
      process.stdout.write(
        `${JSON.stringify({ name: result.name, bytes: result.bytes, sha256: result.sha256, pruned: result.pruned })}\n`,
      );
      return;
    }
    case 'verify': {
      if (rest[0] === undefined) throw new UsageError('verify <snapshot>');
      const { name, snapshot } = await readSnapshotAt(rest[0], s3Location);
      const verified = await verifySnapshot(snapshot);
      process.stdout.write(`${JSON.stringify({ name, ...verified })}\n`);
      return;
    }
    case 'restore': {
      if (rest[0] === undefined) throw new UsageError('restore <snapshot> --address URL');
      const { name, snapshot } = await readSnapshotAt(rest[0], s3Location);
      log(`restoring ${name} (${snapshot.length} bytes)`);
      const keys = await keyStore(values).read();
      if (keys === undefined) {
        throw new Error(
          `Secret ${values['key-secret']} not found in ${values.namespace}: import the offline key copy first (keys import)`,
        );
      }
      await restoreSnapshot({
        address: address(),
        snapshot,
        keys: keys.keys,
        threshold: keys.threshold,
        log,
        // Its StatefulSet brings the pod back on the same (restored) volume.
        restart: async () => {
          await core().deleteNamespacedPod({ name: values.pod, namespace: values.namespace });
        },
      });
      return;
    }
    case 'keys': {
      const [action, file] = rest;
      if (action === 'new-identity') {
        process.stdout.write(`${JSON.stringify(await newOperatorKey())}\n`);
      } else if (action === 'export') {
        if (values.out === undefined || (values.recipient ?? []).length === 0) {
          throw new UsageError('keys export --recipient age1... --out FILE');
        }
        const keys = await keyStore(values).read();
        if (keys === undefined) throw new Error(`Secret ${values['key-secret']} not found in ${values.namespace}`);
        await writeFile(values.out, await exportKeys(keys, values.recipient ?? []), { mode: 0o600 });
        log(
          `${keys.keys.length} shares (threshold ${keys.threshold}) encrypted to ${(values.recipient ?? []).length} recipient(s) in ${values.out}`,
        );
      } else if (action === 'import') {
        if (file === undefined || values['identity-file'] === undefined) {
          throw new UsageError('keys import FILE --identity-file FILE');
        }
        const exported = await importKeys(await readFile(file), await readFile(values['identity-file'], 'utf8'));
        // Create-only, like the operator: an existing Secret is never overwritten.
        await keyStore(values).create({ keys: exported.keys, threshold: exported.threshold, rootToken: undefined });
        log(`Secret ${values['key-secret']} created in ${values.namespace} with ${exported.keys.length} shares`);
      } else {
        throw new UsageError('keys export | import | new-identity');
      }
      return;
    }
    default:
      throw new UsageError('commands: snapshot, verify, restore, keys');
  }
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  log(`vault-unsealer: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
}
