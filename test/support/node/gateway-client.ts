// In tools/embedded (shared with bench/); the suites import it from here.
export * from '@cf/embedded/node/gateway-client';
