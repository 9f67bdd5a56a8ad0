import { fileURLToPath } from 'node:url';

// Moved to tools/embedded (shared with `npm start` and bench/); the suites keep importing it from here.
export * from '@cf/embedded/service-process';

/** The smallest service built on the kit: a fixture of the kit's tests. */
export const MINIMAL_SERVICE = fileURLToPath(new URL('../fixtures/minimal-service/src/main.ts', import.meta.url));
