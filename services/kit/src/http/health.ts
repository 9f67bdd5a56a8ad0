/** A readiness check of one dependency: resolves when usable, rejects (or returns false) when not. */
export type ReadinessCheck = () => Promise<boolean | undefined>;

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, 'ok' | 'failing'>;
}

/** Runs every check concurrently, each bounded by `timeoutMs`, and never throws. */
export async function checkReadiness(
  checks: Record<string, ReadinessCheck>,
  timeoutMs = 2000,
): Promise<ReadinessReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      try {
        const outcome = await Promise.race([check().then((value) => value !== false), timeout]);
        return [name, outcome ? 'ok' : 'failing'] as const;
      } catch {
        return [name, 'failing'] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const report: Record<string, 'ok' | 'failing'> = Object.fromEntries(entries);
  return { ready: entries.every(([, state]) => state === 'ok'), checks: report };
}
