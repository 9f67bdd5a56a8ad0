export * from './binaries.ts';
export * from './chromium.ts';
export * from './containers.ts';
export * from './postgres.ts';
export * from './process.ts';
export * from './service-process.ts';
export * from './users.ts';
export * from './vault.ts';
export { pinned } from './versions.ts';
