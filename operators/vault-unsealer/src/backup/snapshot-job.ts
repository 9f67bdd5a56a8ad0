import { Gauge, Pushgateway, Registry } from 'prom-client';
import { snapshotName, type SnapshotStore } from './store.ts';
import { takeSnapshot, verifySnapshot, withVaultLogin, type VaultLogin, type VerifiedSnapshot } from './snapshot.ts';

export interface SnapshotJobOptions {
  login: VaultLogin;
  /** Where to store, or how to find out with the job's Vault token (endpoint and credentials kept in Vault). */
  store: SnapshotStore | ((token: string) => Promise<SnapshotStore>);
  /** Snapshots kept (newest first). */
  keep: number;
  /** Prometheus Pushgateway URL; the job's metrics are pushed there (job `vault-backup`) when set. */
  pushgateway?: string;
  log?: (message: string) => void;
}

export interface SnapshotJobResult extends VerifiedSnapshot {
  name: string;
  pruned: string[];
}

/** The CronJob's metrics; `vault_backup_last_success_timestamp_seconds` feeds the "backup too old" alert. */
export function backupMetrics(registry: Registry) {
  return {
    lastSuccess: new Gauge({
      name: 'vault_backup_last_success_timestamp_seconds',
      help: 'Unix time the last verified Vault raft snapshot was stored',
      registers: [registry],
    }),
    lastBytes: new Gauge({
      name: 'vault_backup_last_snapshot_bytes',
      help: 'Size of the last verified snapshot',
      registers: [registry],
    }),
    lastFailure: new Gauge({
      name: 'vault_backup_last_failure_timestamp_seconds',
      help: 'Unix time a snapshot run last failed',
      registers: [registry],
    }),
  };
}

/**
 * One backup run: log in with the snapshot role, take a snapshot, verify it (nothing unverified is stored),
 * store it, keep the newest `keep`. Throws on any failure, so the Job fails and its failure is visible.
 */
export async function runSnapshotJob(options: SnapshotJobOptions): Promise<SnapshotJobResult> {
  const log = options.log ?? (() => undefined);
  // A failed run pushes only its failure time: pushAdd replaces same-named metrics, and the last success stays.
  const registry = new Registry();
  const metrics = backupMetrics(registry);
  const failures = new Registry();
  const failure = backupMetrics(failures);
  let pushed = registry;
  try {
    const { snapshot, store } = await withVaultLogin(options.login, async (token) => ({
      snapshot: await takeSnapshot(options.login.address, token),
      store: typeof options.store === 'function' ? await options.store(token) : options.store,
    }));
    const verified = await verifySnapshot(snapshot);
    const name = snapshotName();
    await store.put(name, snapshot, verified.sha256);
    const pruned = await store.prune(options.keep);
    log(
      `stored ${name} (${verified.bytes} bytes, sha256 ${verified.sha256}) in ${store.describe()}; pruned ${pruned.length}`,
    );
    metrics.lastSuccess.set(Date.now() / 1000);
    metrics.lastBytes.set(verified.bytes);
    registry.removeSingleMetric('vault_backup_last_failure_timestamp_seconds');
    return { ...verified, name, pruned };
  } catch (error) {
    failure.lastFailure.set(Date.now() / 1000);
    failures.removeSingleMetric('vault_backup_last_success_timestamp_seconds');
    failures.removeSingleMetric('vault_backup_last_snapshot_bytes');
    pushed = failures;
    throw error;
  } finally {
    if (options.pushgateway !== undefined) {
      await new Pushgateway(options.pushgateway, { timeout: 10_000 }, pushed)
        .pushAdd({ jobName: 'vault-backup' })
        .catch((error: unknown) => log(`pushing metrics failed: ${(error as Error).message}`));
    }
  }
}
