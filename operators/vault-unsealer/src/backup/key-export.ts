import { Decrypter, Encrypter, generateIdentity, identityToRecipient } from 'age-encryption';
import type { UnsealKeys } from '../key-store.ts';

/**
 * The offline copy of the unseal keys: the key Secret's shares and threshold as JSON, encrypted with age
 * (age-encryption, the reference TypeScript implementation of age-encryption.org/v1) to one or more operators'
 * public keys (`age1...`). Without this copy a lost key Secret makes every snapshot useless.
 * The initial root token is not exported: it was revoked at the first configuration pass.
 */

export interface ExportedKeys {
  format: 'content-factory/vault-unseal-keys/v1';
  keys: string[];
  threshold: number;
  exportedAt: string;
}

export async function exportKeys(
  keys: Pick<UnsealKeys, 'keys' | 'threshold'>,
  recipients: readonly string[],
): Promise<Uint8Array> {
  if (recipients.length === 0) throw new Error('at least one age recipient (age1...) is required');
  const encrypter = new Encrypter();
  for (const recipient of recipients) encrypter.addRecipient(recipient);
  const payload: ExportedKeys = {
    format: 'content-factory/vault-unseal-keys/v1',
    keys: [...keys.keys],
    threshold: keys.threshold,
    exportedAt: new Date().toISOString(),
  };
  return encrypter.encrypt(JSON.stringify(payload));
}

/** Decrypts an export with the operator's identity (`AGE-SECRET-KEY-1...`); throws on a wrong identity. */
export async function importKeys(file: Uint8Array, identity: string): Promise<ExportedKeys> {
  const decrypter = new Decrypter();
  decrypter.addIdentity(identity.trim());
  const payload = JSON.parse(await decrypter.decrypt(file, 'text')) as ExportedKeys;
  if (payload.format !== 'content-factory/vault-unseal-keys/v1' || !Array.isArray(payload.keys)) {
    throw new Error('not an unseal key export');
  }
  return payload;
}

/** A new age key pair for an operator: keep `identity` offline, hand out `recipient`. */
export async function newOperatorKey(): Promise<{ identity: string; recipient: string }> {
  const identity = await generateIdentity();
  return { identity, recipient: await identityToRecipient(identity) };
}
