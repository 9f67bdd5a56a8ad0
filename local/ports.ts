import { createServer } from 'node:net';

/** Whether 127.0.0.1:`port` can be listened on right now. */
function free(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * The ports of `wanted` that something else holds, checked before anything starts, so a clash is one clear message
 * instead of a half-started platform failing on EADDRINUSE.
 */
export async function takenPorts(wanted: Record<string, number>): Promise<string[]> {
  const checks = await Promise.all(
    Object.entries(wanted).map(async ([name, port]) => ((await free(port)) ? undefined : `${port} (${name})`)),
  );
  return checks.filter((entry): entry is string => entry !== undefined);
}
