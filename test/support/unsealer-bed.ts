// The set-up every vault-unsealer test file shares: one real API server per file, the operators and Vault servers
// its tests start — all stopped after the file's last test, whatever failed — and one log capture for the scan
// that no secret was logged.
import type { TestFn } from 'ava';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import {
  createNamespace,
  Kubelet,
  LogCapture,
  startOperator,
  startVaultPods,
  type TestOperator,
  type TestOperatorOptions,
} from './unsealer-cluster.ts';
import type { VaultServer } from './vault.ts';

interface Stoppable {
  stop(): Promise<unknown>;
}

/** A namespace with one Vault pod `vault-0` backed by a fresh, sealed, uninitialized Vault server. */
export interface SingleNode {
  vault: VaultServer;
  kubelet: Kubelet;
  /** The operator's `addressTemplate` for these pods. */
  template: string;
  /** vault-0's pod IP (a loopback address). */
  ip: string;
}

export class UnsealerBed {
  readonly logs = new LogCapture();
  readonly operators: TestOperator[] = [];
  /** Everything secret the tests saw, for the final scan. */
  readonly secrets: string[] = [];
  private readonly started: Stoppable[] = [];
  private controlPlane: ControlPlane | undefined;

  /**
   * Registers the file's hooks: the API server starts before the first test, then the file's own `setUp` (in the
   * same hook: ava runs a file's `before` hooks concurrently, so a second hook could not count on the first);
   * everything stops after the last test.
   */
  static for(test: TestFn, setUp?: (bed: UnsealerBed) => Promise<void>): UnsealerBed {
    const bed = new UnsealerBed();
    test.before(async () => {
      bed.controlPlane = await startControlPlane();
      await setUp?.(bed);
    });
    test.after.always(() => bed.stop());
    return bed;
  }

  get plane(): ControlPlane {
    if (this.controlPlane === undefined) throw new Error('the API server starts in test.before');
    return this.controlPlane;
  }

  /** The operator in-process against this API server (unless `kubeConfig` says otherwise), logging into `logs`. */
  operator(
    options: Omit<TestOperatorOptions, 'kubeConfig' | 'logs'> & { kubeConfig?: TestOperatorOptions['kubeConfig'] },
  ): TestOperator {
    const operator = startOperator({ kubeConfig: this.plane.kubeConfig, logs: this.logs, ...options });
    this.operators.push(operator);
    return operator;
  }

  /** Stops operators that are still running (graceful: each releases its Lease). */
  async stopOperators(): Promise<void> {
    await Promise.allSettled(this.operators.map((operator) => operator.stop()));
  }

  /** `thing` is stopped after the file (after the operators, before the API server). */
  track<T extends Stoppable>(thing: T): T {
    this.started.push(thing);
    return thing;
  }

  /** `startVaultPods` whose servers are stopped after the file. */
  async vaultPods(count: number, subnet: number): ReturnType<typeof startVaultPods> {
    const pods = await startVaultPods(count, subnet);
    pods.servers.forEach((server) => this.track(server));
    return pods;
  }

  async singleNode(namespace: string, subnet: number): Promise<SingleNode> {
    await createNamespace(this.plane.kubeConfig, namespace);
    const { servers, template, ip } = await this.vaultPods(1, subnet);
    const kubelet = new Kubelet(this.plane.kubeConfig, namespace);
    await kubelet.createPod('vault-0');
    return { vault: servers[0]!, kubelet, template, ip: ip(0) };
  }

  private async stop(): Promise<void> {
    await this.stopOperators();
    await Promise.allSettled(this.started.map((thing) => thing.stop()));
    await this.controlPlane?.stop();
  }
}
