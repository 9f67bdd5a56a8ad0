import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { VaultConfigurationInput } from '@cf/vault-unsealer';
import type { ControlPlane } from '../support/control-plane.ts';
import { waitFor } from '../support/process.ts';
import {
  createTokenReviewer,
  sample,
  serviceAccountToken,
  startOperator,
  type LogCapture,
  type startVaultPods,
  type TestOperator,
} from '../support/unsealer-cluster.ts';

// The suites that let the unsealer configure a real OpenBao run it outside the cluster, beside a bare API server:
// Vault's Kubernetes auth then needs the API server's address and CA, and a token reviewer's token in a Secret,
// where in a cluster it would use its own pod's. What that takes is stated here once.

type KubernetesAuthInput = NonNullable<NonNullable<VaultConfigurationInput['auth']>['kubernetes']>;

/** The Secret of the operator's namespace that holds the token reviewer's token. */
const REVIEWER_SECRET = 'vault-reviewer-token';

/**
 * Creates a token reviewer (a ServiceAccount with `system:auth-delegator`) and stores its token in
 * {@link REVIEWER_SECRET} of `namespace`, where the configuration below points Vault. Returns the token, which
 * the caller adds to the secrets no log line may show.
 */
export async function storeReviewerToken(plane: ControlPlane, namespace: string): Promise<string> {
  const reviewer = await createTokenReviewer(plane.kubeConfig, namespace);
  await plane.kubeConfig.makeApiClient(CoreV1Api).createNamespacedSecret({
    namespace,
    body: { metadata: { name: REVIEWER_SECRET }, stringData: { token: reviewer } },
  });
  return reviewer;
}

/** The configuration's Kubernetes auth for a Vault outside `plane`'s cluster, with these `roles`. */
export function outOfClusterKubernetesAuth(
  plane: ControlPlane,
  roles: KubernetesAuthInput['roles'],
): KubernetesAuthInput {
  return {
    kubernetesHost: plane.server,
    kubernetesCaCert: plane.caPem,
    tokenReviewerJwtSecret: { name: REVIEWER_SECRET },
    roles,
  };
}

export interface ConfiguringOperatorOptions {
  plane: ControlPlane;
  /** What the operator calls the API server with. Default: the plane's administrator. */
  kubeConfig?: KubeConfig;
  namespace: string;
  pods: Awaited<ReturnType<typeof startVaultPods>>;
  logs: LogCapture;
  /** The configuration file (`VaultConfigurationInput` as JSON) the operator applies. */
  configFile: string;
  /** Each Vault login token of the operator's ServiceAccount is added here, for the leak checks. */
  secrets: string[];
}

/**
 * The unsealer for `pods` that also configures Vault: from `configFile`, every second (1 s resync), logged in
 * with its ServiceAccount's token. It acts on a pod once the test's kubelet reports that pod Running.
 */
export function startConfiguringOperator(options: ConfiguringOperatorOptions): TestOperator {
  const { plane, namespace, pods, secrets } = options;
  return startOperator({
    kubeConfig: options.kubeConfig ?? plane.kubeConfig,
    namespace,
    addressTemplate: pods.template,
    logs: options.logs,
    configFile: options.configFile,
    resyncMs: 1000,
    vaultToken: async () => {
      const token = await serviceAccountToken(plane.kubeConfig, namespace, 'vault-unsealer');
      secrets.push(token);
      return token;
    },
  });
}

/** Waits until `operator` has applied the configuration and it changed Vault: its first configuration pass. */
export async function firstConfigurationPass(operator: TestOperator, timeoutMs: number): Promise<void> {
  await waitFor(
    async () => sample(await operator.metrics(), 'vault_unsealer_configuration_applies_total', 'result="changed"') >= 1,
    { what: 'the first configuration pass', timeoutMs },
  );
}
