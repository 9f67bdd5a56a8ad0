// The fixture and helpers of the Telegram login suites: one integration-service per file on a FakeTelegram, the
// codes, passwords and sessions each file used remembered, and each file ending by proving none reached the log.
import test from 'ava';
import { randomInt } from 'node:crypto';
import { FakeTelegram } from '../../services/integration-service/src/telegram/fake.ts';
import { fileFixture } from '../support/file-fixture.ts';
import { as, integrationFixtureForFile, type User } from './fixture.ts';

export function loginsSuite() {
  const f = integrationFixtureForFile();
  const fake = new FakeTelegram({ qrTtlSeconds: 3 });
  const one = fileFixture(() => f.instance(fake, { HEALTH_INTERVAL_SECONDS: '0.3' }));

  /** One-time codes: short, so they are checked as JSON string values only. */
  const codes = new Set<string>();

  const phone = (): string => `+49151${String(randomInt(1_000_000, 9_999_999))}`;

  function account(options: { password?: string; dcId?: number; codeTypes?: ('app' | 'sms')[] } = {}): string {
    const number = phone();
    fake.addAccount({ phone: number, firstName: 'Ada', ...options, ...(options.password ? { hint: 'pet' } : {}) });
    if (options.password) f.secrets.add(options.password);
    return number;
  }

  async function startPhone(user: User, number: string) {
    const response = await as(user, one.url, 'POST', '/telegram/logins/phone', { phone: number });
    return { response, loginId: response.body['loginId'] as string };
  }

  function codeOf(number: string): string {
    const code = fake.lastCode(number)!;
    codes.add(code);
    return code;
  }

  async function connect(user: User): Promise<{ accountId: string; number: string }> {
    const number = account();
    const { loginId } = await startPhone(user, number);
    const done = await as(user, one.url, 'POST', `/telegram/logins/${loginId}/code`, { code: codeOf(number) });
    if (done.status !== 200) throw new Error(`connect: ${done.status} ${JSON.stringify(done.body)}`);
    return { accountId: done.body['accountId'] as string, number };
  }

  async function decrypt(ciphertext: string): Promise<string> {
    const response = await fetch(`${f.users.vault.address}/v1/transit/decrypt/telegram-sessions`, {
      method: 'POST',
      headers: { 'x-vault-token': f.users.vault.rootToken ?? '' },
      body: JSON.stringify({ ciphertext }),
    });
    const body = (await response.json()) as { data: { plaintext: string } };
    return Buffer.from(body.data.plaintext, 'base64').toString('utf8');
  }

  async function loginRow(id: string): Promise<{ session_ciphertext: string; state: string }> {
    const [row] = await one.service.store.rows<{ session_ciphertext: string; state: string }>(
      'SELECT session_ciphertext, state FROM telegram_logins WHERE id = $1',
      [id],
    );
    return row!;
  }

  /** Registers the file's last test: its logs hold none of the sessions, codes, passwords or tokens it used. */
  function testLogsHoldNoSecrets(): void {
    test.serial('session strings, codes, passwords and access tokens never appear in the logs', async (t) => {
      t.true(f.logs.length > 20);
      const text = f.logs.join('\n');
      for (const secret of f.secrets) {
        t.false(text.includes(secret), `a secret leaked into the logs`);
      }
      for (const code of codes) t.false(text.includes(`"${code}"`), 'a login code leaked into the logs');
      t.notRegex(text, /fake1:/);
      t.notRegex(text, /vault:v\d+:/);
    });
  }

  return { f, fake, one, phone, account, startPhone, codeOf, connect, decrypt, loginRow, testLogsHoldNoSecrets };
}
