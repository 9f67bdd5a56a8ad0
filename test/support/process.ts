// Moved to tools/embedded (shared with `npm start` and bench/); the suites keep importing it from here.
export * from '@cf/embedded/process';
