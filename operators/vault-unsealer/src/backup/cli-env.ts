import { z } from 'zod';

/**
 * The environment the CLI (`src/cli.ts`: snapshot, verify, restore, keys) reads, named as the Vault CLI names
 * them; flags win over these. Charts test the snapshot CronJob's container against this shape. The AWS SDK reads
 * its own standard variables (AWS_ACCESS_KEY_ID, …) when `--s3-from-vault` is not used.
 */
export const cliEnv = {
  /** Vault API address when `--address` is not given. */
  VAULT_ADDR: z.url().optional(),
  /** PEM file of the CA of Vault's TLS certificate (`--ca-cert`). */
  VAULT_CACERT: z.string().min(1).optional(),
  /** Namespace of the key Secrets (`--namespace`). Default: cf-vault. */
  VAULT_NAMESPACE: z.string().min(1).optional(),
};

const CliEnvSchema = z.object(cliEnv);
export type CliEnv = z.infer<typeof CliEnvSchema>;

/** The CLI's environment, validated: a malformed value is an error naming the variable, never a silent default. */
export function loadCliEnv(source: Record<string, string | undefined> = process.env): CliEnv {
  return CliEnvSchema.parse({
    VAULT_ADDR: source['VAULT_ADDR'] || undefined,
    VAULT_CACERT: source['VAULT_CACERT'] || undefined,
    VAULT_NAMESPACE: source['VAULT_NAMESPACE'] || undefined,
  });
}
