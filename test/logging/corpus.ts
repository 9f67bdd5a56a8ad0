// Real log lines of the platform's services, captured from the harnesses that run them (real PostgreSQL, Vault,
// user-service, integration-service on the scripted Telegram fake, api-gateway), written as the kubelet would
// write them: one CRI-format file per container under a `containers/` directory.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeTelegram } from '../../services/integration-service/src/telegram/fake.ts';
import { startGateway } from '../api-gateway/fixture.ts';
import { startIntegrationFixture, as } from '../integration-service/fixture.ts';
import { call } from '../user-service/fixture.ts';

export interface ContainerLog {
  service: string;
  file: string;
  /** The lines the process wrote, in order. */
  lines: string[];
}

export interface Corpus {
  dir: string;
  logs: ContainerLog[];
  /** Every line of every container. */
  lines: string[];
}

/** CRI log line: `<RFC 3339 nano time> <stream> <F|P> <content>`; the runtime's time is deliberately not the record's. */
function criLine(line: string, runtimeTime: Date): string {
  return `${runtimeTime.toISOString().replace('Z', '000000Z')} stdout F ${line}`;
}

/** Runs the services, makes them log (register, a failed login, requests through the gateway), collects the lines. */
export async function captureServiceLogs(): Promise<{ user: string[]; integration: string[]; gateway: string[] }> {
  const fixture = await startIntegrationFixture();
  try {
    const instance = await fixture.instance(new FakeTelegram({ qrTtlSeconds: 3 }));
    const gateway = await startGateway({
      USER_SERVICE_URL: fixture.users.url,
      INTEGRATION_SERVICE_URL: instance.url,
      JWKS_URL: `${fixture.users.url}/.well-known/jwks.json`,
      PUBLIC_ORIGIN: 'https://content-factory.localhost',
    });
    try {
      const user = await fixture.user();
      await call(fixture.users.url, 'POST', '/auth/login', {
        body: { email: 'nobody@example.org', password: 'not-the-password-1' },
      });
      await as(user, instance.url, 'GET', '/telegram/accounts');
      await fetch(`${gateway.url}/api/telegram/accounts`, { headers: { authorization: `Bearer ${user.token}` } });
      await fetch(`${gateway.url}/api/users/me`, { headers: { authorization: 'Bearer not-a-token' } });
      await fetch(`${gateway.url}/api/no-such-route`);
      return { user: [...fixture.users.logs], integration: [...instance.logs], gateway: [...gateway.logs] };
    } finally {
      await gateway.stop();
    }
  } finally {
    await fixture.stop();
  }
}

/** Writes each service's lines into `<dir>/containers/<pod>_<namespace>_<container>-<id>.log`. */
export function writeContainerLogs(dir: string, byService: Record<string, string[]>): Corpus {
  const containers = join(dir, 'containers');
  mkdirSync(containers, { recursive: true });
  const logs: ContainerLog[] = [];
  for (const [service, lines] of Object.entries(byService)) {
    const file = join(containers, `${service}-0_cf-apps_${service}-${randomBytes(32).toString('hex')}.log`);
    // The runtime stamps a line when it reads it from the pipe: a second later here, so a document whose
    // @timestamp came from the runtime instead of the record's `time` is told apart.
    const text = lines.map((line) => {
      let recordTime = Date.now();
      try {
        const time = (JSON.parse(line) as { time?: string }).time;
        if (time !== undefined) recordTime = Date.parse(time);
      } catch {
        // not JSON: the runtime's time is all there is
      }
      return criLine(line, new Date(recordTime + 1000));
    });
    writeFileSync(file, `${text.join('\n')}\n`);
    logs.push({ service, file, lines });
  }
  return { dir: containers, logs, lines: logs.flatMap((log) => log.lines) };
}
