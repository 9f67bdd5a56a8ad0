import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { FakeTelegram, type FakeSnapshot } from './telegram/fake.ts';

/** Code every demo phone receives. */
export const DEMO_CODE = '12345';
/** 2FA password of demo phones ending in 2. */
export const DEMO_PASSWORD = 'demo-password';

/**
 * The scripted fake for local runs (`TELEGRAM_MODE=demo`): any valid phone is an account; the code is
 * always 12345; phones ending in 2 ask for the password `demo-password`; a QR code is "scanned" 5 s
 * after it is shown. Nothing leaves the machine. A signed-in demo session string names its phone (sealed), so
 * every demo instance reopens it: the pods of a dev cluster each have their own fake, and one adopts the accounts
 * of another that died. With `stateFile` (npm start), the fake's server side — accounts and signed-in keys, no
 * session secret of ours — outlives the process as real Telegram's does: saved each second when it changed and
 * at exit.
 */
export function demoTelegram(stateFile?: string): FakeTelegram {
  const fake = new FakeTelegram({ demo: { code: DEMO_CODE, password: DEMO_PASSWORD, qrScanAfterMs: 5000 } });
  if (stateFile === undefined) return fake;
  if (existsSync(stateFile)) fake.restore(JSON.parse(readFileSync(stateFile, 'utf8')) as FakeSnapshot);
  let saved = JSON.stringify(fake.snapshot());
  const save = (): void => {
    const now = JSON.stringify(fake.snapshot());
    if (now === saved) return;
    writeFileSync(`${stateFile}.tmp`, now, { mode: 0o600 });
    renameSync(`${stateFile}.tmp`, stateFile);
    saved = now;
  };
  setInterval(save, 1000).unref();
  process.once('exit', save);
  return fake;
}
