// integration-service with the fake Telegram port, against baselines measured in the same run:
// - memory per connected account in one instance at 1, 100 and 1,000 accounts, vs the memory of the bare
//   fake connections alone (what the port costs without the service's bookkeeping);
// - time for a second instance to take over 1,000 accounts after the first is killed: from the kill,
//   and from the moment the dead instance's leases expired, vs the floor (claiming 1,000 leases in one
//   statement and decrypting 1,000 sessions in one Vault batch).
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createLogger } from '@cf/kit';
import { TransitCipher } from '../services/integration-service/src/cipher.ts';
import { loadIntegrationServiceConfig } from '../services/integration-service/src/config.ts';
import {
  startIntegrationService,
  type RunningIntegrationService,
} from '../services/integration-service/src/service.ts';
import { FakeTelegram } from '../services/integration-service/src/telegram/fake.ts';
import type { TelegramConnection } from '../services/integration-service/src/telegram/port.ts';
import { freePort, startTogether } from '@cf/embedded/process';
import { startPostgres } from '@cf/embedded/postgres';
import { startVault } from '@cf/embedded/vault';
import { formatMs } from './stats.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heap(): number {
  for (let i = 0; i < 4; i += 1) gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(20);
  }
}

const [postgres, vault] = await startTogether([startPostgres(), startVault({ mode: 'dev' })]);
const instances: RunningIntegrationService[] = [];
try {
  await postgres.query('CREATE DATABASE integrations');
  const token = vault.rootToken ?? '';
  const fake = new FakeTelegram();
  const silent = createLogger({
    name: 'integration-service',
    level: 'warn',
    stream: process.env['BENCH_LOGS'] ? process.stderr : new Writable({ write: (_chunk, _encoding, done) => done() }),
  });
  const start = async (): Promise<RunningIntegrationService> => {
    const port = await freePort();
    const config = loadIntegrationServiceConfig({
      PORT: String(port),
      HOST: '127.0.0.1',
      POD_NAME: `127.0.0.1:${port}`,
      PEER_ADDRESS_TEMPLATE: 'http://{pod}',
      DATABASE_PORT: String(postgres.port),
      DATABASE_USER: postgres.user,
      DATABASE_PASSWORD: postgres.password,
      VAULT_ADDR: vault.address,
      VAULT_AUTH: 'token',
      VAULT_TOKEN: token,
      VAULT_TRANSIT_ENSURE: 'true',
      // Not about issue 18's unverified policy (verified-only.test.ts is): its users register and connect at once.
      UNVERIFIED_MAY_NOT: 'none',
      JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json',
      // Production defaults, except a shorter lease so the run stays short.
      LEASE_TTL_SECONDS: process.env['BENCH_LEASE_TTL'] ?? '5',
      RECONCILE_INTERVAL_SECONDS: '5',
      LOG_LEVEL: 'warn',
    });
    const service = await startIntegrationService(config, silent, { telegram: fake });
    instances.push(service);
    return service;
  };

  const first = await start();
  const cipher = new TransitCipher(
    await (async () => {
      const { VaultClient } = await import('@cf/kit');
      return VaultClient.connect({ endpoint: vault.address, auth: { method: 'token', token } });
    })(),
    'telegram-sessions',
  );

  /** Signs `count` accounts in at the fake and stores them as connected accounts nobody holds yet. */
  async function addAccounts(count: number): Promise<void> {
    const sessions: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const phone = `+1555${String(1_000_000 + Math.floor(Math.random() * 8_999_999))}`;
      fake.addAccount({ phone });
      const conn = await fake.open(undefined);
      const sent = await conn.sendCode(phone);
      await conn.signIn(phone, sent.phoneCodeHash, fake.lastCode(phone)!);
      sessions.push(conn.session());
      await conn.destroy();
    }
    const ciphertexts = await Promise.all(sessions.map((session) => cipher.encrypt(session)));
    const ids = sessions.map(() => randomUUID());
    await first.store.rows(
      `INSERT INTO telegram_accounts (id, user_id, telegram_user_id, session_ciphertext, state)
       SELECT id, 'bench-user', id::text, ciphertext, 'connected' FROM unnest($1::uuid[], $2::text[]) AS t(id, ciphertext)`,
      [ids, ciphertexts],
    );
  }

  const idle = heap();
  const memory: { accounts: number; perAccount: number }[] = [];
  let total = 0;
  for (const target of [1, 100, 1000]) {
    await addAccounts(target - total);
    total = target;
    await first.ownership.reconcile();
    await until(() => first.ownership.connectedAccounts() === target, 60_000);
    const used = heap() - idle;
    memory.push({ accounts: target, perAccount: used / target });
  }

  // Baseline: the same number of bare fake connections, without the service around them.
  const bareBefore = heap();
  const bare: TelegramConnection[] = [];
  for (let i = 0; i < 1000; i += 1) bare.push(await fake.open(undefined));
  const bareCost = (heap() - bareBefore) / 1000;
  await Promise.all(bare.map((conn) => conn.destroy()));

  // Takeover: a second instance is running when the first dies.
  const second = await start();
  const killedAt = Date.now();
  await first.crash();
  const [expiry] = await second.store.rows<{ at: Date }>(
    `SELECT max(expires_at) AS at FROM leases WHERE resource LIKE 'account:%'`,
  );
  await until(() => second.ownership.connectedAccounts() > 0, 120_000);
  const firstAdoptedAt = Date.now();
  await until(() => second.ownership.connectedAccounts() === 1000, 120_000);
  const doneAt = Date.now();
  const expiredAt = new Date(expiry!.at).getTime();

  // Floor: claim 1,000 leases in one statement and decrypt 1,000 sessions in one batch.
  const resources = Array.from({ length: 1000 }, () => `bench:${randomUUID()}`);
  const rows = await second.store.rows<{ session_ciphertext: string }>(
    `SELECT session_ciphertext FROM telegram_accounts LIMIT 1000`,
  );
  const floorStarted = performance.now();
  await second.store.leases.claim(resources, 'floor', 'floor', 5);
  await cipher.decryptMany(rows.map((row) => row.session_ciphertext));
  const floor = performance.now() - floorStarted;
  const violations = fake.violations;

  console.log('memory per connected account (heap + external, one instance, fake port):');
  for (const entry of memory) {
    console.log(
      `  ${String(entry.accounts).padStart(5)} accounts: ${(entry.perAccount / 1024).toFixed(1)} KiB/account` +
        `  (${(entry.perAccount / bareCost).toFixed(1)}× a bare fake connection, ${(bareCost / 1024).toFixed(2)} KiB)`,
    );
  }
  const afterExpiry = doneAt - Math.max(expiredAt, killedAt);
  console.log('takeover of 1,000 accounts by a second instance after the first was killed:');
  console.log(
    `  from the kill:            ${formatMs(doneAt - killedAt)} (lease TTL ${process.env['BENCH_LEASE_TTL'] ?? '5'} s)`,
  );
  console.log(
    `  from the leases' expiry:  ${formatMs(afterExpiry)}  (includes waiting for the next 5 s reconcile tick)`,
  );
  console.log(
    `  adoption work (first account held → all 1,000 held): ${formatMs(doneAt - firstAdoptedAt)}` +
      `  (${((doneAt - firstAdoptedAt) / floor).toFixed(1)}× the floor)`,
  );
  console.log(`  floor (1 claim statement + 1 Vault batch decrypt): ${formatMs(floor)}`);
  console.log(`  concurrent connections of one session: max ${fake.maxConcurrent}, violations ${violations}`);
  if (violations > 0) process.exitCode = 1;
} finally {
  for (const instance of instances) await instance.close().catch(() => undefined);
  await Promise.all([postgres.stop(), vault.stop()]);
}
