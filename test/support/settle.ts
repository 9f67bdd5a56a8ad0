// Waiting for an outcome so that the test can assert it: `waitFor` fails with "timed out waiting for …", which
// says that something did not happen but not what happened instead; `settle` hands the last observed value back,
// so `t.is(await settle(...), expected)` names both when the outcome never comes.

export interface SettleOptions {
  /** How long to keep reading, in ms. Default: 30 000. */
  timeoutMs?: number;
  /** Pause between reads, in ms. Default: 50. */
  intervalMs?: number;
}

/**
 * Reads `read()` until `done(value)` holds or `timeoutMs` passed, and returns the last value read either way.
 * A read that throws is retried; when no read ever succeeded, the last error is thrown.
 */
export async function settle<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  options: SettleOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let last: { value: T } | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = { value: await read() };
      if (done(last.value)) return last.value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
  if (last === undefined) throw lastError instanceof Error ? lastError : new Error(String(lastError));
  return last.value;
}
