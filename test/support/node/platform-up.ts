// In tools/embedded beside the other node modules; the suites import it from here.
export * from '@cf/embedded/node/platform-up';
