import { globalAgent } from 'node:https';
import { rootCertificates } from 'node:tls';
import { Agent, setGlobalDispatcher } from 'undici';

/**
 * Makes this process verify Vault's TLS certificate against `caPem` (the VAULT_CACERT of the Vault CLI): every
 * `fetch` (the unsealer's Vault calls, snapshots, restores) through undici's global dispatcher, and the kit's
 * Vault client (node-vault over axios, which uses `https.globalAgent`). The system roots stay trusted too.
 * Call once at start-up, before any connection to Vault is opened. Kubernetes clients bring their own CA
 * from the kubeconfig and are not affected.
 */
let trusted: string | undefined;

/** The CA `trustVaultCa` was given, for clients that build their own agent (the kit's VaultClient keeps one). */
export function trustedVaultCa(): { ca: string } | Record<string, never> {
  return trusted === undefined ? {} : { ca: trusted };
}

export function trustVaultCa(caPem: string): void {
  const ca = caPem.trim();
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new Error('VAULT_CACERT does not hold a PEM certificate');
  // Per-request `dispatcher` objects of this undici are refused by Node's bundled fetch (UND_ERR_INVALID_ARG,
  // observed with Node 24.21 / undici 8.13); the global dispatcher is honoured.
  setGlobalDispatcher(new Agent({ connect: { ca: [...rootCertificates, ca] } }));
  globalAgent.options.ca = [...rootCertificates, ca];
  trusted = ca;
}
