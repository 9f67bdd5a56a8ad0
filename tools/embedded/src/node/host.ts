// What the node changes on the host, and how each change is undone: sysctls, the bridge, the firewall rule that
// keeps pod traffic on this machine, and the chains, ipsets, mounts and cgroups its components leave behind.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Sysctls the node's components change (FACTS.md "A real node": the kubelet's setupKernelTunables sets the
 * vm/kernel ones on every start; the CNI bridge plugin turns on forwarding; bridged pod traffic must pass
 * iptables for NetworkPolicy and Service rules). Snapshotted before start, restored on teardown.
 */
export const TOUCHED_SYSCTLS = [
  'vm.overcommit_memory',
  'vm.panic_on_oom',
  'kernel.panic',
  'kernel.panic_on_oops',
  'kernel.keys.root_maxkeys',
  'kernel.keys.root_maxbytes',
  'net.ipv4.ip_forward',
  'net.ipv4.conf.all.route_localnet',
  'net.bridge.bridge-nf-call-iptables',
  'net.bridge.bridge-nf-call-ip6tables',
] as const;

function sysctlPath(name: string): string {
  return join('/proc/sys', ...name.split('.'));
}

export function readSysctls(): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of TOUCHED_SYSCTLS) {
    const path = sysctlPath(name);
    if (existsSync(path)) values[name] = readFileSync(path, 'utf8').trim();
  }
  return values;
}

export function writeSysctl(name: string, value: string): void {
  writeFileSync(sysctlPath(name), `${value}\n`);
}

/** Runs a host tool; `check` makes a non-zero exit an error carrying its stderr. */
export function sh(command: string, args: readonly string[], check = true): { stdout: string; code: number } {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
  if (check && result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed: ${(result.stderr || result.error?.message || '').trim()}`);
  return { stdout: result.stdout ?? '', code: result.status ?? -1 };
}

/**
 * The comment that marks this run's own firewall rules, so teardown finds them whatever else changed.
 * Rules go into `mangle` FORWARD: it runs before every `filter` rule, where kube-proxy and kube-router ACCEPT.
 */
export function ruleComment(id: string): string {
  return `cf-node-${id}`;
}

/** Drops every forwarded packet from the pods' bridge whose way out is not that bridge (ISSUE 14: nothing leaves). */
export function installEgressGuard(id: string, bridge: string): void {
  for (const tool of ['iptables', 'ip6tables']) {
    sh(tool, [
      '-t',
      'mangle',
      '-I',
      'FORWARD',
      '1',
      '-i',
      bridge,
      '!',
      '-o',
      bridge,
      '-m',
      'comment',
      '--comment',
      ruleComment(id),
      '-j',
      'DROP',
    ]);
  }
}

/** Packets the egress guard dropped so far (IPv4). */
export function egressGuardDrops(id: string): number {
  const out = sh('iptables', ['-t', 'mangle', '-L', 'FORWARD', '-v', '-n', '-x']).stdout;
  const line = out.split('\n').find((l) => l.includes(ruleComment(id)));
  return line === undefined ? -1 : Number(line.trim().split(/\s+/)[0]);
}

/** Chains the node's components create (kubelet, kube-proxy, kube-router all use these prefixes). */
const COMPONENT_CHAIN = /^(KUBE-|CNI-)/;
const COMPONENT_IPSET = /^(KUBE-|kube-router-|inet6:KUBE-)/;

/**
 * Removes this run's marked rules and every component chain with the rules that jump to it, in both families and
 * all tables, then the ipsets they used. Runs are serialised (lock.ts), so these prefixes are this run's alone.
 */
export function removeFirewallState(id: string): void {
  for (const tool of ['iptables', 'ip6tables']) {
    for (const table of ['raw', 'mangle', 'nat', 'filter']) {
      const rules = sh(tool, ['-t', table, '-S'], false).stdout.split('\n');
      const chains = rules
        .filter((l) => l.startsWith('-N '))
        .map((l) => l.slice(3).trim())
        .filter((c) => COMPONENT_CHAIN.test(c));
      const doomed = new Set(chains);
      for (const rule of rules) {
        if (!rule.startsWith('-A ')) continue;
        const [, chain] = rule.split(' ');
        if (chain === undefined || doomed.has(chain)) continue;
        const target = /-[jg] (\S+)/.exec(rule)?.[1];
        if (rule.includes(ruleComment(id)) || (target !== undefined && doomed.has(target))) {
          sh(tool, ['-t', table, '-D', ...splitRule(rule.slice(3))], false);
        }
      }
      for (const chain of chains) sh(tool, ['-t', table, '-F', chain], false);
      for (const chain of chains) sh(tool, ['-t', table, '-X', chain], false);
    }
  }
  const sets = sh('ipset', ['list', '-n'], false)
    .stdout.split('\n')
    .filter((s) => COMPONENT_IPSET.test(s));
  for (const set of sets) sh('ipset', ['destroy', set], false);
}

/** Splits an `iptables -S` rule into arguments, honouring its double-quoted comments. */
function splitRule(rule: string): string[] {
  const parts: string[] = [];
  for (const match of rule.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) parts.push(match[1] ?? match[2] ?? '');
  return parts;
}

/** Mount points at or under `dir`, deepest first. */
export function mountsUnder(dir: string): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\040/g, ' '))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

export function unmountAll(dir: string): void {
  // Bounded: a mount that will not go even lazily is reported by the caller's leftover check.
  for (let round = 0; round < 5; round++) {
    const points = mountsUnder(dir);
    if (points.length === 0) return;
    for (const point of points) if (sh('umount', [point], false).code !== 0) sh('umount', ['-l', point], false);
  }
}

/** Every cgroup v1/v2 hierarchy mounted under /sys/fs/cgroup. */
function cgroupMounts(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => / - cgroup2? /.test(line))
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined);
}

/** Directories of `root` (a cgroup path such as `/cf-node-ab12`) in every hierarchy, deepest first. */
export function cgroupDirs(root: string): string[] {
  const dirs: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) walk(join(dir, entry.name));
    dirs.push(dir);
  };
  for (const mount of cgroupMounts()) {
    const top = join(mount, root);
    if (existsSync(top) && statSync(top).isDirectory()) walk(top);
  }
  return dirs;
}

/** Process ids inside the cgroup tree `root`. */
export function cgroupPids(root: string): number[] {
  const pids = new Set<number>();
  for (const dir of cgroupDirs(root)) {
    const file = join(dir, 'cgroup.procs');
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) if (line !== '') pids.add(Number(line));
  }
  return [...pids];
}

/**
 * Creates the kubelet's `cgroupRoot` in every hierarchy (the kubelet refuses a missing one). A new v1 cpuset
 * cgroup starts with no CPUs and no memory nodes, so it inherits its parent's.
 */
export function createCgroupRoot(root: string): void {
  for (const mount of cgroupMounts()) {
    const dir = join(mount, root);
    mkdirSync(dir, { recursive: true });
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      const parent = join(mount, file);
      if (existsSync(parent) && existsSync(join(dir, file))) writeFileSync(join(dir, file), readFileSync(parent));
    }
  }
}

export function removeCgroups(root: string): void {
  for (const dir of cgroupDirs(root)) {
    try {
      rmdirSync(dir);
    } catch {
      // busy or gone: the leftover check reports what stays
    }
  }
}

/** Processes (other than ours) whose command line mentions `text`. */
export function processesMentioning(text: string, except: readonly number[] = []): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid || except.includes(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text)) found.push(pid);
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

export function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}
