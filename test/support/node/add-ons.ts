// Moved to tools/embedded (shared with bench/ and local/); the suites keep importing it from here.
export * from '@cf/embedded/node/add-ons';
