// Undoing a node run from its state file alone, so the harness, its guard process (node-reaper.ts) and the next
// run (finding a stale lock) all clean up the same way. Idempotent: every step tolerates what is already gone.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cgroupDirs,
  cgroupPids,
  killAll,
  linkExists,
  mountsUnder,
  processesMentioning,
  removeCgroups,
  removeFirewallState,
  sh,
  unmountAll,
  writeSysctl,
} from './host.ts';
import { processAlive } from '../pid.ts';

/** Everything a node run put on the host, written before it changes anything. */
export interface NodeState {
  id: string;
  /** The run's temporary directory (all state, sockets, logs). */
  dir: string;
  bridge: string;
  /** The kubelet's `cgroupRoot`: every pod cgroup lives under it. */
  cgroupRoot: string;
  /** Values of host.ts TOUCHED_SYSCTLS before the run. */
  sysctls: Record<string, string>;
  /** Network namespaces and links the run created outside the bridge (the "outside" host of the tests). */
  netns: string[];
  links: string[];
  /** Fixed host paths the components write to that did not exist before the run (FIXED_HOST_PATHS). */
  createdPaths: string[];
}

/**
 * Host paths the node's components use whatever their configuration says: the kubelet's device-plugin and
 * pod-resources sockets, the CNI library's result cache. Removed on teardown when the run created them.
 */
export const FIXED_HOST_PATHS = ['/var/lib/kubelet', '/var/lib/cni'] as const;

export function stateFile(dir: string): string {
  return join(dir, 'node-state.json');
}

export function writeState(state: NodeState): void {
  writeFileSync(stateFile(state.dir), JSON.stringify(state, null, 2));
}

export function readState(file: string): NodeState | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as NodeState;
  } catch {
    return undefined;
  }
}

/** What is left after teardown, for the tests to assert empty: processes, mounts, cgroups, links. */
export function leftovers(state: NodeState, except: readonly number[] = []): string[] {
  const left: string[] = [];
  const pids = [...cgroupPids(state.cgroupRoot), ...processesMentioning(state.dir, except)];
  if (pids.length > 0) left.push(`processes ${pids.join(', ')}`);
  const mounts = mountsUnder(state.dir);
  if (mounts.length > 0) left.push(`mounts ${mounts.join(', ')}`);
  const cgroups = cgroupDirs(state.cgroupRoot);
  if (cgroups.length > 0) left.push(`cgroups ${cgroups.join(', ')}`);
  for (const link of [state.bridge, ...state.links]) if (linkExists(link)) left.push(`link ${link}`);
  for (const path of state.createdPaths) if (existsSync(path)) left.push(`path ${path}`);
  return left;
}

/**
 * Kills every process of the run (its cgroups, and whatever names its directory: containerd shims escape our
 * process groups), unmounts, removes cgroups, firewall chains, ipsets, links and namespaces, restores sysctls,
 * and deletes the bulky state (images, rootfs) while keeping the logs.
 */
export async function teardownHost(state: NodeState, except: readonly number[] = []): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const pids = [...cgroupPids(state.cgroupRoot), ...processesMentioning(state.dir, except)];
    if (pids.length === 0) break;
    killAll(pids);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  unmountAll(state.dir);
  removeCgroups(state.cgroupRoot);
  removeFirewallState(state.id);
  for (const ns of state.netns) sh('ip', ['netns', 'delete', ns], false);
  for (const link of [...state.links, state.bridge]) if (linkExists(link)) sh('ip', ['link', 'delete', link], false);
  for (const [name, value] of Object.entries(state.sysctls)) {
    try {
      writeSysctl(name, value);
    } catch {
      // a sysctl that vanished (module unloaded) has nothing to restore
    }
  }
  for (const path of state.createdPaths ?? []) rmSync(path, { recursive: true, force: true });
  for (const bulky of ['containerd', 'kubelet', 'etcd', 'volumes'])
    if (mountsUnder(join(state.dir, bulky)).length === 0)
      rmSync(join(state.dir, bulky), { recursive: true, force: true });
  rmSync(stateFile(state.dir), { force: true });
}

// ---- one node per machine at a time -------------------------------------------------------------------------

/**
 * The kubelet's fixed host paths (`/var/lib/kubelet/device-plugins`, `/var/lib/kubelet/pod-resources`), the CNI
 * library's `/var/lib/cni` cache, and the fixed iptables chain names of kube-proxy and kube-router make two nodes on
 * one machine clash; runs take this lock for their whole life (FACTS.md "A real node").
 */
export function lockDir(): string {
  const root = join(tmpdir(), 'cf-test');
  mkdirSync(root, { recursive: true });
  return join(root, 'node.lock');
}

/**
 * Takes the machine-wide node lock, waiting at most `timeoutMs` for another run; a lock whose owner died is
 * taken over after tearing down what that run left.
 */
export async function acquireNodeLock(
  stateFilePath: string,
  timeoutMs: number,
  progress: (line: string) => void,
): Promise<void> {
  const lock = lockDir();
  const deadline = Date.now() + timeoutMs;
  let told = false;
  while (true) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'owner.json'), JSON.stringify({ pid: process.pid, stateFile: stateFilePath }));
      return;
    } catch {
      let owner: { pid: number; stateFile: string } | undefined;
      try {
        owner = JSON.parse(readFileSync(join(lock, 'owner.json'), 'utf8')) as { pid: number; stateFile: string };
      } catch {
        owner = undefined;
      }
      if (owner !== undefined && !processAlive(owner.pid)) {
        progress(`taking over the node lock of dead process ${owner.pid}`);
        const stale = readState(owner.stateFile);
        if (stale !== undefined) await teardownHost(stale);
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new Error(`another node run (pid ${owner?.pid ?? '?'}) holds ${lock} — one node per machine at a time`);
      if (!told) progress(`waiting for another node run (pid ${owner?.pid ?? '?'}) to finish`);
      told = true;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/** Removes the lock if `ownerPid` (default: this process) holds it. */
export function releaseNodeLock(ownerPid: number = process.pid): void {
  const lock = lockDir();
  if (!existsSync(lock)) return;
  try {
    const owner = JSON.parse(readFileSync(join(lock, 'owner.json'), 'utf8')) as { pid: number };
    if (owner.pid !== ownerPid) return;
  } catch {
    // unreadable owner: ours was written atomically enough; remove
  }
  rmSync(lock, { recursive: true, force: true });
}
