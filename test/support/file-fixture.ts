import test from 'ava';

/** How to stop each file fixture started so far, in start order. */
const stops: (() => Promise<void>)[] = [];
let stopHookDeclared = false;

/**
 * Something a whole test file shares (a fixture, a fake, a running server): started once in ava's `test.serial.before`,
 * stopped in `test.after.always` (also when a test or a later start failed), so that a file states only what it
 * starts and with which settings.
 *
 * Call it while the file loads, at top level, as ava requires of hooks. A start waits for every hook declared before it,
 * so a later `fileFixture` (or hook) may use an earlier one in its `start` (a gateway pointed at a running user-service); stops run
 * in the reverse order, each one even when another failed (the first failure is reported after all ran). ava runs
 * each test file in a worker of its own, so the order is that of one file.
 *
 * The returned object stands for the started value: its properties and methods are those of the value once the hook
 * ran, and writing a property writes the value's; reading or writing one before throws (only tests and later hooks read it). Methods are bound to the value, so classes with
 * private fields work through it.
 *
 * @param start builds the value (within ava's hook timeout; the value's own calls keep their deadlines).
 * @param stop  ends it after the file's last test; a value never started is not stopped.
 */
export function fileFixture<T extends object>(start: () => Promise<T>, stop?: (value: T) => Promise<void>): T {
  let value: T | undefined;
  // Serial: ava runs hooks concurrently unless told; a serial hook waits for every hook declared before it.
  test.serial.before(async () => {
    value = await start();
    const started = value;
    if (stop !== undefined) stops.push(() => stop(started));
  });
  declareStopHook();
  return new Proxy({} as T, {
    get(_target, property) {
      if (value === undefined) throw new Error(`a file fixture was read before its test.before hook ran`);
      const member: unknown = Reflect.get(value, property, value);
      return typeof member === 'function' ? (member as (...args: unknown[]) => unknown).bind(value) : member;
    },
    has(_target, property) {
      return value !== undefined && property in value;
    },
    // Without this trap a write would land on the proxy's empty target and the value would never see it.
    set(_target, property, newValue) {
      if (value === undefined) throw new Error(`a file fixture was written before its test.before hook ran`);
      return Reflect.set(value, property, newValue, value);
    },
  });
}

function declareStopHook(): void {
  if (stopHookDeclared) return;
  stopHookDeclared = true;
  test.after.always(async () => {
    const failures: unknown[] = [];
    for (const stop of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw failures[0];
  });
}
