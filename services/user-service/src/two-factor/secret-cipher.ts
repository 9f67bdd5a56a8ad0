import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { VaultClient } from '@cf/kit';

/** Encrypts TOTP secrets before they touch PostgreSQL. */
export interface SecretCipher {
  encrypt(plaintext: string): Promise<string>;
  decrypt(ciphertext: string): Promise<string>;
}

/**
 * Vault transit (as integration-service's session cipher): the key never leaves Vault and PostgreSQL only ever
 * holds `vault:v1:…`, so a database dump yields no TOTP secret. Every call has the Vault client's deadline.
 */
export class TransitSecretCipher implements SecretCipher {
  private readonly vault: VaultClient;
  private readonly key: string;
  private readonly mount: string;

  constructor(vault: VaultClient, key: string, mount = 'transit') {
    this.vault = vault;
    this.key = key;
    this.mount = mount;
  }

  /** Creates the transit mount and key when missing (local runs and tests; in a cluster vault-unsealer does it). */
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
}

/** AES-256-GCM under a key file: local development without Vault only (refused in production by the wiring). */
export class LocalSecretCipher implements SecretCipher {
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
}
