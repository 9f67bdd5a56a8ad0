import { readFileSync } from 'node:fs';

/**
 * Servers that refuse to run as root (PostgreSQL) need an unprivileged account when tests run as root,
 * as they do in CI here. Returns undefined when we are not root: then they simply run as us.
 */
export function unprivilegedUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'));
  for (const name of ['postgres', 'nobody']) {
    const entry = passwd.find((fields) => fields[0] === name);
    if (entry !== undefined) return { uid: Number(entry[2]), gid: Number(entry[3]) };
  }
  throw new Error('running as root, but no postgres or nobody account exists to run PostgreSQL as');
}
