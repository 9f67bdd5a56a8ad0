import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { evaluateTiltfile, execFileAsync, type TiltResult } from '../support/charts-tools.ts';
import { versions } from '../support/versions.ts';
import { registry, repo, resourceNamed, tiltfile } from './tilt-inputs.ts';

// The commands the Tiltfile runs (kubectl, helm, sh) and the kind cluster they act on.

const commands = (result: TiltResult): string[] => [
  ...result.localCalls,
  ...result.resources.flatMap((r) => (r.cmd === undefined ? [] : [r.cmd])),
];
/** Each `kubectl …`/`helm …` invocation in a shell command line, up to the next pipe, `&&`, `||`, `;` or `)`. */
const invocations = (command: string, tool: 'kubectl' | 'helm'): string[] =>
  [...command.matchAll(new RegExp(`\\b${tool}\\s[^|;&)]*`, 'g'))].map((m) => m[0]);

/** kind's own files for the pinned kind version, from the Go module cache. */
async function kindModuleDir(): Promise<string> {
  const { module, version } = versions.kind;
  const { stdout } = await execFileAsync('go', ['mod', 'download', '-json', `${module}@${version}`], {
    env: { ...process.env, GOFLAGS: '-mod=mod' },
  });
  return (JSON.parse(stdout) as { Dir: string }).Dir;
}

test('defect 3: every add-on command is idempotent (server-side apply or helm upgrade --install, no patch or create)', async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  for (const command of commands(result)) {
    for (const kubectl of invocations(command, 'kubectl')) {
      t.notRegex(kubectl, /\s(patch|edit|replace|create(?![^]*--dry-run))\s/, kubectl);
      if (/\sapply\s/.test(kubectl)) t.regex(kubectl, /--server-side/, kubectl);
    }
    for (const helm of invocations(command, 'helm')) t.notRegex(helm, /\shelm\s+install\s|^helm install\s/, helm);
  }
  // cert-manager's Gateway API support is set at install time, where the next install sets it again.
  t.regex(resourceNamed(result, 'cert-manager').cmd ?? '', /enableGatewayAPI=true/);
});

test('every kubectl and helm call names the kind context, so Tilt never acts on another cluster', async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  for (const command of commands(result)) {
    for (const kubectl of invocations(command, 'kubectl'))
      t.regex(kubectl, /--context[= ]kind-content-factory/, kubectl);
    for (const helm of invocations(command, 'helm')) {
      if (/\s(upgrade|install|uninstall|status|list)\s/.test(helm)) {
        t.regex(helm, /--kube-context[= ]kind-content-factory/, helm);
      }
    }
  }
});

test("defect 7: the registry patch uses the plugin key of the pinned kind node's containerd config format", async (t) => {
  const base = readFileSync(join(await kindModuleDir(), 'images/base/files/etc/containerd/config.toml'), 'utf8');
  const format = Number(/^version\s*=\s*(\d+)/m.exec(base)?.[1]);
  const config = parseAllDocuments(readFileSync(join(repo, 'kind-config.yaml'), 'utf8'))[0]?.toJS() as {
    containerdConfigPatches: string[];
    nodes: { image?: string }[];
  };
  const key = format === 2 ? 'io.containerd.grpc.v1.cri' : 'io.containerd.cri.v1.images';
  t.true(
    config.containerdConfigPatches.some((p) => p.includes(`[plugins."${key}".registry]`)),
    key,
  );
  for (const node of config.nodes) t.is(node.image, versions.kind.nodeImage);
});

test('the registry check reaches kubectl with its dotted ConfigMap key escaped, through the sh -c Tilt runs local() with', async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  const check = result.localCalls.find((c) => c.includes('local-registry-hosting'));
  if (check === undefined) throw new Error('no local() call reads the local-registry-hosting ConfigMap');
  // A shell function in kubectl's place prints, one per line, the arguments sh hands it. Unquoted, sh turned
  // `\.` into `.`: kubectl then read key `localRegistryHosting`, found nothing, and every load failed.
  const { stdout } = await execFileAsync('sh', ['-c', `kubectl() { printf '%s\\n' "$@"; }; ${check}`]);
  const args = stdout.split('\n');
  t.is(args[args.indexOf('-o') + 1], 'jsonpath={.data.localRegistryHosting\\.v1}');
});

test('each kubectl and helm call a Tiltfile command spells runs under sh -c, and what it reads from stdin is YAML', async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  // Functions in the tools' place print each call, and for `-f -` the document they read, on fd 3 (a command's
  // `>/dev/null` must not hide a call). A here-document whose
  // delimiter shares its line (`YAML && kubectl … rollout status`) never ends: the next step became YAML.
  const stub = (tool: string): string =>
    `${tool}() { printf '\\036${tool} %s\\n' "$*" >&3; case " $* " in *' -f - '*) cat >&3 ;; esac; }`;
  for (const r of result.resources.filter((x) => x.type === 'local' && /\b(kubectl|helm)\s/.test(x.cmd ?? ''))) {
    const { stdout } = await execFileAsync('sh', ['-c', `exec 3>&1\n${stub('kubectl')}\n${stub('helm')}\n${r.cmd!}`]);
    const calls = stdout.split('\x1e').slice(1);
    const spelt = [...invocations(r.cmd!, 'kubectl'), ...invocations(r.cmd!, 'helm')];
    t.is(calls.length, spelt.length, `${r.name}: ${calls.map((c) => c.split('\n')[0]).join(' | ')}`);
    for (const call of calls.filter((c) => / -f - /.test(`${c.split('\n')[0]} `))) {
      const documents = parseAllDocuments(call.slice(call.indexOf('\n') + 1));
      t.deepEqual(
        documents.flatMap((d) => d.errors.map((e) => e.message)),
        [],
        r.name,
      );
    }
  }
});

test("the README's kind path is two commands: the cluster script, then tilt up", (t) => {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Run it on kind (Tilt)'));
  const block = /```sh\n([^]*?)```/.exec(section)?.[1] ?? '';
  const steps = block.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  t.deepEqual(steps, ['dev/kind-cluster.sh', 'tilt up']);
});

test('the cluster script is valid bash, pins the kind version the tests validate and uses kind-config.yaml', async (t) => {
  const script = join(repo, 'dev/kind-cluster.sh');
  await execFileAsync('bash', ['-n', script]);
  const text = readFileSync(script, 'utf8');
  t.is(/^KIND_VERSION=(\S+)$/m.exec(text)?.[1], versions.kind.version);
  t.regex(text, /kind create cluster --config "\$ROOT\/kind-config\.yaml"/);
  t.regex(text, /^REGISTRY_PORT=5001$/m, "the Tiltfile's REGISTRY");
  t.regex(readFileSync(tiltfile, 'utf8'), /^REGISTRY = 'localhost:5001'$/m);
});

test('every command the Tiltfile runs parses as the POSIX shell Tilt runs it with (sh -c)', async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  for (const r of result.resources.filter((x) => x.type === 'local')) {
    for (const command of [r.cmd, r.serveCmd].filter((c) => c !== undefined && c !== '')) {
      await t.notThrowsAsync(execFileAsync('sh', ['-n', '-c', command!]), r.name);
    }
  }
});
