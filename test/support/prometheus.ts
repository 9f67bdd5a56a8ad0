// Moved to tools/embedded (the benchmarks use it too); the suites keep importing it from here.
export * from '@cf/embedded/prometheus';
