export { Operator, type OperatorOptions } from './operator.ts';
export { loadSettings, settingsShape, type Settings } from './settings.ts';
export { podAddress, runningSince, SEALED_ANNOTATION, type PodReport, type PodState } from './reconciler.ts';
export { applyConfiguration, loadVaultConfiguration, UNSEALER_POLICY, UNSEALER_POLICY_NAME } from './configure.ts';
export { KeyStore, type UnsealKeys } from './key-store.ts';
export { WorkQueue } from './work-queue.ts';
export * from './vault-config.ts';
export { secretReferences, unsealerRoles, type SecretReference, type UnsealerRbacOptions } from './rbac.ts';
