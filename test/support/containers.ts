// Moved to tools/embedded (shared with bench/); the suites keep importing it from here.
export * from '@cf/embedded/containers';
export * from '@cf/embedded/service-images';
