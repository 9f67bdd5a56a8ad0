import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { VaultClient } from './client.ts';

/**
 * Encrypts secrets before they touch PostgreSQL (integration-service's Telegram session strings, user-service's
 * TOTP secrets): PostgreSQL only ever holds ciphertext.
 */
export interface SecretCipher {
  encrypt(plaintext: string): Promise<string>;
  decrypt(ciphertext: string): Promise<string>;
  /** Many at once (one Vault round trip): what a pod taking over 1,000 accounts needs. */
  decryptMany(ciphertexts: string[]): Promise<string[]>;
}

/** Vault transit: the key never leaves Vault; PostgreSQL only ever sees `vault:v1:...`. */
export class TransitCipher implements SecretCipher {
  private readonly vault: VaultClient;
  private readonly key: string;
  private readonly mount: string;

  constructor(vault: VaultClient, key: string, mount = 'transit') {
    this.vault = vault;
    this.key = key;
    this.mount = mount;
  }

  /** Creates the transit mount and key when missing (local runs; in a cluster vault-unsealer does it). */
  async ensureKey(): Promise<void> {
    const mounts = await this.vault.request<Record<string, unknown>>('GET', '/sys/mounts');
    const listed = (mounts.data ?? (mounts as Record<string, unknown>)) as Record<string, unknown>;
    if (listed[`${this.mount}/`] === undefined) {
      await this.vault.request('POST', `/sys/mounts/${this.mount}`, { type: 'transit' });
    }
    await this.vault.request('POST', `/${this.mount}/keys/${this.key}`, {});
  }

  encrypt(plaintext: string): Promise<string> {
    return this.vault.transitEncrypt(this.key, plaintext, this.mount);
  }

  async decrypt(ciphertext: string): Promise<string> {
    return (await this.vault.transitDecrypt(this.key, ciphertext, this.mount)).toString('utf8');
  }

  async decryptMany(ciphertexts: string[]): Promise<string[]> {
    // Vault refuses request bodies with too many JSON strings: batches of 200 stay well below the limit.
    const out: string[] = [];
    for (let start = 0; start < ciphertexts.length; start += 200) {
      const chunk = ciphertexts.slice(start, start + 200);
      const response = await this.vault.request<{ batch_results: { plaintext?: string; error?: string }[] }>(
        'POST',
        `/${this.mount}/decrypt/${this.key}`,
        { batch_input: chunk.map((ciphertext) => ({ ciphertext })) },
      );
      const results = response.data?.batch_results ?? [];
      if (results.length !== chunk.length) throw new Error('transit batch decrypt returned a short batch');
      for (const result of results) {
        if (result.plaintext === undefined) throw new Error('transit batch decrypt failed for one item');
        out.push(Buffer.from(result.plaintext, 'base64').toString('utf8'));
      }
    }
    return out;
  }
}

/** AES-256-GCM with a key file: local development without Vault only (refused in production). */
export class LocalCipher implements SecretCipher {
  private readonly key: Buffer;

  constructor(keyFile: string) {
    if (!existsSync(keyFile)) {
      mkdirSync(dirname(keyFile), { recursive: true });
      writeFileSync(keyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
    }
    this.key = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64');
  }

  async encrypt(plaintext: string): Promise<string> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `local:v1:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  async decrypt(ciphertext: string): Promise<string> {
    const raw = Buffer.from(ciphertext.replace(/^local:v1:/, ''), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }

  decryptMany(ciphertexts: string[]): Promise<string[]> {
    return Promise.all(ciphertexts.map((ciphertext) => this.decrypt(ciphertext)));
  }
}
