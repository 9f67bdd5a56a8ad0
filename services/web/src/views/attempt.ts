import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * A view's user action and its outcome, one at a time: `busy` while it runs (the view disables its buttons),
 * `error` what it threw (cleared when the next attempt starts). Setting either re-renders the host, as a Lit
 * state property would. The view turns `error` into words itself (each area has its own catalogue entries).
 */
export class Attempt implements ReactiveController {
  private readonly host: ReactiveControllerHost;
  private running = false;
  private failure: unknown = undefined;

  constructor(host: ReactiveControllerHost) {
    this.host = host;
    host.addController(this);
  }

  get busy(): boolean {
    return this.running;
  }

  set busy(value: boolean) {
    this.running = value;
    this.host.requestUpdate();
  }

  get error(): unknown {
    return this.failure;
  }

  set error(value: unknown) {
    this.failure = value;
    this.host.requestUpdate();
  }

  /**
   * Runs `action` with `busy` set; what it throws becomes `error` (never rethrown: the view shows it).
   * Resolves true when the action succeeded.
   */
  async run(action: () => Promise<unknown>): Promise<boolean> {
    this.busy = true;
    this.error = undefined;
    try {
      await action();
      return true;
    } catch (error) {
      this.error = error;
      return false;
    } finally {
      this.busy = false;
    }
  }

  hostConnected(): void {
    // Nothing to start: an attempt lives only while its action runs.
  }
}
