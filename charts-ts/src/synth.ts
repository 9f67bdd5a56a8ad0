import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp } from './app.ts';
import { profiles, type Profile } from './profile.ts';

/** Writes `<root>/<profile>/<chart>.yaml` for every profile, replacing what was there. */
export function synthAll(root: string, list: readonly Profile[] = profiles): string[] {
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
