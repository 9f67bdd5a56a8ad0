import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { Profile } from '../profile.ts';
import { VaultBackup } from './vault-backup.ts';
import { VaultServer } from './vault-server.ts';
import { VaultUnsealer } from './vault-unsealer.ts';

/** The `cf-vault` namespace's workloads: the Vault server, the operator that keeps it unsealed, its snapshots. */
export class VaultChart extends Chart {
  constructor(scope: Construct, id: string, profile: Profile) {
    super(scope, id);
    new VaultServer(this, 'server', profile);
    new VaultUnsealer(this, 'unsealer', profile);
    new VaultBackup(this, 'backup', { ...profile.vault.backup, images: profile.images });
  }
}
