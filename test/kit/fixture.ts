import {
  createApp,
  createLogger,
  listen,
  mountOperations,
  type MountOptions,
  type Operation,
  type RunningServer,
} from '@cf/kit';
import { captureLogs } from '../support/log-capture.ts';
import { fileFixture } from '../support/file-fixture.ts';

/**
 * `operations` mounted (with `options`, as `mountOperations` takes them) on a kit app named `name`, served on a free
 * port of 127.0.0.1 for every test of a file and closed after the last. Its logs are captured, not printed.
 */
export function operationsServerForFile(
  name: string,
  operations: readonly Operation[],
  options: MountOptions = {},
): RunningServer {
  return fileFixture(
    async () => {
      const { stream } = captureLogs();
      const service = createApp({ name, logger: createLogger({ name, stream }) });
      mountOperations(service.router, operations, options);
      return listen(service.app, { port: 0 });
    },
    (server) => server.close(),
  );
}
