// The former all-in-one reconciler was split (pod-controller, key-custody, configurator, pod-states,
// vault-pod); these re-exports keep its public names importable from the old path.
export { describe, podAddress, runningSince, SEALED_ANNOTATION, WaitingError } from './vault-pod.ts';
export type { PodReport, PodState } from './pod-states.ts';
