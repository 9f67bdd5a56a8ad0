import { FakeTelegram } from './telegram/fake.ts';

/** Code every demo phone receives. */
export const DEMO_CODE = '12345';
/** 2FA password of demo phones ending in 2. */
export const DEMO_PASSWORD = 'demo-password';

/**
 * The scripted fake for local runs (`TELEGRAM_MODE=demo`): any valid phone is an account; the code is
 * always 12345; phones ending in 2 ask for the password `demo-password`; a QR code is "scanned" 5 s
 * after it is shown. Nothing leaves the machine.
 */
export function demoTelegram(): FakeTelegram {
  return new FakeTelegram({ demo: { code: DEMO_CODE, password: DEMO_PASSWORD, qrScanAfterMs: 5000 } });
}
