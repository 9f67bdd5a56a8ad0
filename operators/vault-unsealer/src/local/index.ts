// vault-unsealer's local mode: what the operator does for a cluster, for one Vault on this machine (`npm start`).
export { LocalKeyFile } from './key-file.ts';
export { initializeOrUnseal, type LocalUnsealOptions, type LocalUnsealResult } from './unseal.ts';
export { applyLocalConfiguration, localConfiguration, type LocalDatabaseServer } from './configuration.ts';
export { issueServiceTokens, revokeServiceTokens } from './tokens.ts';
