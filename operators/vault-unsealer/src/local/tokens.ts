import type { VaultClient } from '@cf/kit';

/**
 * Per-service Vault tokens: the local stand-in for the cluster's Kubernetes-auth roles. Each token carries exactly
 * the policy the cluster's role for that service grants (the policy is named after the service), is an orphan so
 * revoking one touches no other, and is periodic (`period`, default 1h, the cluster roles' TTL): the service's
 * client renews it, and it dies within one period once nobody does (after a crash).
 */
export async function issueServiceTokens(
  vault: VaultClient,
  services: readonly string[],
  period = '1h',
): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  for (const service of services) {
    const response = await vault.request<never>('POST', '/auth/token/create-orphan', {
      policies: [service],
      display_name: service,
      period,
      renewable: true,
      meta: { service, issued_by: 'vault-unsealer local mode' },
    });
    const token = response.auth?.client_token;
    if (token === undefined) throw new Error(`Vault issued no token for ${service}`);
    tokens.set(service, token);
  }
  return tokens;
}

/** Revokes tokens and, with them, the leases they hold (dynamic database logins). Best effort per token. */
export async function revokeServiceTokens(vault: VaultClient, tokens: Iterable<string>): Promise<void> {
  await Promise.all(
    [...tokens].map((token) => vault.request('POST', '/auth/token/revoke', { token }).catch(() => undefined)),
  );
}
