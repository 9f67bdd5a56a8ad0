import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from '@cf/kit';
import type { EventRecorder } from './events.ts';
import { KeySecretConflictError, type KeyStore, type UnsealKeys } from './key-store.ts';
import { describe } from './vault-pod.ts';

/**
 * Custody of the unseal keys: the key Secret, and the keys of an initialization whose Secret could not be
 * created yet (held in memory, creation retried, never replaced by a second initialization).
 */
export class KeyCustody {
  readonly store: KeyStore;
  private readonly events: EventRecorder;
  private readonly logger: Logger;
  private pending: UnsealKeys | undefined;

  constructor(options: { store: KeyStore; events: EventRecorder; logger: Logger }) {
    this.store = options.store;
    this.events = options.events;
    this.logger = options.logger;
  }

  /** True while Vault holds data that only keys in this process's memory open. */
  get unstored(): boolean {
    return this.pending?.version === '';
  }

  /**
   * The keys to unseal with: the in-memory keys of an initialization not stored yet (trying once more to store
   * them, never over an existing Secret), else the Secret's; undefined when there is no Secret.
   */
  async keys(): Promise<UnsealKeys | undefined> {
    if (this.pending !== undefined && this.pending.version === '') {
      try {
        this.pending = await this.store.create(this.pending);
      } catch (error) {
        this.logger.error({ reason: describe(error) }, 'key Secret still not stored; keys kept in memory');
      }
      return this.pending;
    }
    this.pending = undefined;
    return this.store.read();
  }

  /**
   * Takes the keys `sys/init` just returned: holds them in memory first, then creates the Secret. A failure is
   * reported (Warning `KeySecretConflict` / `KeySecretNotStored`) and leaves the keys in memory for `keys()` to
   * retry. Returns where the keys are now, for the `Initialized` event.
   */
  async adopt(pod: V1Pod, keys: Omit<UnsealKeys, 'version'>): Promise<'stored' | 'memory'> {
    this.pending = { ...keys, version: '' };
    try {
      this.pending = await this.store.create(this.pending);
    } catch (error) {
      const conflict = error instanceof KeySecretConflictError;
      await this.events.record(
        pod,
        'Warning',
        conflict ? 'KeySecretConflict' : 'KeySecretNotStored',
        conflict
          ? `Secret ${this.store.name} appeared during initialization; this initialization's keys are held in memory only`
          : `Vault was initialized but Secret ${this.store.name} could not be created yet; retrying, keys held in memory`,
      );
      this.logger.error({ reason: describe(error) }, 'storing the unseal keys failed');
    }
    return this.pending.version === '' ? 'memory' : 'stored';
  }
}
