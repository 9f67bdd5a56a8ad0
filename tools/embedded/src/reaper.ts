// Runs detached from the test process and holds the list of process groups it started. When the test
// process dies in any way — even SIGKILL — this process's stdin closes and it kills every group left.
import { spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';

const groups = new Set<number>();
/** podman containers run under conmon, outside any group of ours: removed by name instead. */
const containers = new Map<string, string>();

function killAll(): void {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const [name, containersConf] of containers) {
    spawnSync('podman', ['rm', '--force', '--time', '0', name], {
      stdio: 'ignore',
      env: { ...process.env, CONTAINERS_CONF: containersConf },
    });
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.startsWith('C') || line.startsWith('c')) {
    const entry = JSON.parse(line.slice(1)) as { name: string; containersConf?: string };
    if (line.startsWith('C')) containers.set(entry.name, entry.containersConf ?? '');
    else containers.delete(entry.name);
    return;
  }
  const pgid = Number(line.slice(1));
  if (!Number.isInteger(pgid) || pgid <= 1) return;
  if (line.startsWith('+')) groups.add(pgid);
  else if (line.startsWith('-')) groups.delete(pgid);
});
lines.on('close', () => {
  killAll();
  process.exit(0);
});
process.on('SIGTERM', () => {
  killAll();
  process.exit(0);
});
