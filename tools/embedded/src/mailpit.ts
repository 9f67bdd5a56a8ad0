// Mailpit (MIT): a real SMTP server with a web inbox and a JSON API, built from its Go module. `npm start` runs it
// so a newcomer can click a verification link; tests read every mail the services send from its API.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolvePinnedBinary, runLogged, type BinarySpec } from './binaries.ts';
import { freePort, scratchDir, spawnManaged, waitFor, type ManagedProcess } from './process.ts';
import { pinned } from './versions.ts';

const spec: BinarySpec = {
  envVar: 'CF_MAILPIT_BIN',
  pathNames: ['mailpit'],
  version: pinned.mailpit.version,
  howToProvide: 'set CF_MAILPIT_BIN to a Mailpit ≥ 1.20 binary; building needs Go ≥ 1.26 and the Go module proxy',
  async build(outFile, workDir, progress) {
    const { module, version } = pinned.mailpit;
    writeFileSync(join(workDir, 'go.mod'), 'module cfwrap/mailpit\n\ngo 1.26\n');
    // A wrapper module pins the exact version and builds it without a checkout (its web UI ships in the module).
    const env = { CGO_ENABLED: '0', GOFLAGS: '-mod=mod' };
    await runLogged('go', ['get', '-tool', `${module}@${version}`], workDir, progress, env);
    await runLogged('go', ['build', '-trimpath', '-ldflags', '-s -w', '-o', outFile, module], workDir, progress, env);
  },
};

/** Finds or builds the Mailpit binary (≈ 4 min cold on 2 cores; cached per machine afterwards). */
export async function mailpitBinary(progress?: (line: string) => void): Promise<string> {
  return (await resolvePinnedBinary('mailpit', spec, progress)).path;
}

/** One message as the inbox lists it. */
export interface MailSummary {
  ID: string;
  Subject: string;
  To: { Address: string; Name: string }[];
  From: { Address: string; Name: string };
  Created: string;
}

/** One message in full: both bodies and every header (Mailpit's `GET /api/v1/message/{id}`). */
export interface MailMessage extends MailSummary {
  Text: string;
  HTML: string;
}

export interface RunningMailpit {
  /** SMTP on 127.0.0.1 (plain; STARTTLS is not offered). */
  smtpPort: number;
  /** The web inbox and its JSON API. */
  url: string;
  process: ManagedProcess;
  /** Every message received so far, newest first. */
  messages(): Promise<MailSummary[]>;
  message(id: string): Promise<MailMessage>;
  /** Waits (bounded) for a message to `address` whose subject matches, and returns it in full. */
  waitForMessage(address: string, subject?: RegExp, timeoutMs?: number): Promise<MailMessage>;
  /** Empties the inbox. */
  clear(): Promise<void>;
  stop(): Promise<void>;
}

async function api<T>(url: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`Mailpit ${init.method ?? 'GET'} ${url}: ${response.status}`);
  return (
    response.status === 200 && response.headers.get('content-type')?.includes('json') === true
      ? await response.json()
      : undefined
  ) as T;
}

/**
 * Starts Mailpit on two free loopback ports with an in-memory store. Ports can be fixed (`npm start` prints
 * them); the inbox keeps at most `maxMessages`.
 */
export async function startMailpit(
  options: { smtpPort?: number; httpPort?: number; maxMessages?: number; dir?: string } = {},
): Promise<RunningMailpit> {
  const binary = await mailpitBinary();
  const dir = options.dir ?? scratchDir('mailpit');
  mkdirSync(dir, { recursive: true });
  const smtpPort = options.smtpPort ?? (await freePort());
  const httpPort = options.httpPort ?? (await freePort());
  const url = `http://127.0.0.1:${httpPort}`;
  const process = spawnManaged(
    binary,
    [
      '--smtp',
      `127.0.0.1:${smtpPort}`,
      '--listen',
      `127.0.0.1:${httpPort}`,
      '--database',
      join(dir, 'mailpit.db'),
      '--max',
      String(options.maxMessages ?? 1000),
      // Local and test use only: any credentials are accepted on a plain loopback connection.
      '--smtp-auth-accept-any',
      '--smtp-auth-allow-insecure',
      // No outbound calls of its own (release checks, remote images, link checks).
      '--disable-version-check',
      '--block-remote-css-and-fonts',
    ],
    { name: 'mailpit', logFile: join(dir, 'mailpit.log') },
  );
  await waitFor(async () => (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) })).ok, {
    what: 'Mailpit ready',
    timeoutMs: 20_000,
    process,
  });
  const running: RunningMailpit = {
    smtpPort,
    url,
    process,
    async messages() {
      return (await api<{ messages: MailSummary[] }>(`${url}/api/v1/messages?limit=1000`)).messages;
    },
    message(id) {
      return api<MailMessage>(`${url}/api/v1/message/${encodeURIComponent(id)}`);
    },
    async waitForMessage(address, subject, timeoutMs = 15_000) {
      const found = await waitFor(
        async () =>
          (await running.messages()).find(
            (m) =>
              m.To.some((to) => to.Address.toLowerCase() === address.toLowerCase()) &&
              (subject === undefined || subject.test(m.Subject)),
          ),
        { what: `a mail to ${address}${subject ? ` matching ${subject}` : ''}`, timeoutMs, process },
      );
      return running.message(found.ID);
    },
    async clear() {
      await api(`${url}/api/v1/messages`, { method: 'DELETE' });
    },
    stop: () => process.stop(),
  };
  return running;
}
