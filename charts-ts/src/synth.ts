import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp } from './app.ts';
import { placeholdersIn, profiles, type Profile } from './profile.ts';

export interface SynthOptions {
  /**
   * Render placeholder values (the example registry, the example API-server address) instead of refusing.
   * `npm run synth` sets it: the committed manifests/ are the reviewed reference, not a deployable prod.
   */
  allowPlaceholders?: boolean;
}

/**
 * Writes `<root>/<profile>/<chart>.yaml` for every profile, replacing what was there.
 * Throws, before writing anything, when a profile still holds placeholders and they are not allowed.
 */
export function synthAll(root: string, list: readonly Profile[] = profiles, options: SynthOptions = {}): string[] {
  if (options.allowPlaceholders !== true) {
    for (const profile of list) {
      const found = placeholdersIn(profile);
      if (found.length > 0) {
        throw new Error(
          `profile ${profile.name} still has placeholders; set ${found.join(', ')} — or pass --allow-placeholders to render the reference manifests`,
        );
      }
    }
  }
  const written: string[] = [];
  for (const profile of list) {
    const dir = join(root, profile.name);
    mkdirSync(dir, { recursive: true });
    for (const file of readdirSync(dir)) if (file.endsWith('.yaml')) rmSync(join(dir, file));
    buildApp(profile, dir).synth();
    written.push(...readdirSync(dir).map((file) => join(dir, file)));
  }
  return written.sort();
}
