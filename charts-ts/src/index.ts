export { buildApp, chartIds } from './app.ts';
export { synthAll } from './synth.ts';
export { dev, prod, profiles, type Profile } from './profile.ts';
export { flows, type Flow, type Peer } from './network.ts';
export { vaultConfiguration, servicePolicy } from './vault-config.ts';
export * as platform from './platform.ts';
