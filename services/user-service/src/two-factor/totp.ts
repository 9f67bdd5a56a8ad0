import { generateSecret, generateURI, verifySync } from 'otplib';
import QRCode from 'qrcode';

/** RFC 6238 defaults every authenticator app reads: SHA-1, 6 digits, 30-second steps. */
export const TOTP_PERIOD_SECONDS = 30;

/** One step either side of now (RFC 6238 §5.2 allows a small window for clock drift and typing time). */
export const TOTP_WINDOW_STEPS = 1;

export interface TotpEnrolment {
  /** Base32 secret (160 bits, RFC 4226 §4's recommended length), for typing in by hand. */
  secret: string;
  /** `otpauth://totp/…` (Key Uri Format), what the QR code carries. */
  otpauthUri: string;
  /** The QR code as an SVG data URL (`data:image/svg+xml;base64,…`); the UI's CSP allows `img-src data:`. */
  qrCode: string;
}

/** A fresh secret with its URI and QR code, labelled `issuer:account`. */
export async function newTotpEnrolment(issuer: string, account: string): Promise<TotpEnrolment> {
  const secret = generateSecret({ length: 20 });
  const otpauthUri = generateURI({ issuer, label: account, secret, period: TOTP_PERIOD_SECONDS });
  const svg = await QRCode.toString(otpauthUri, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
  return { secret, otpauthUri, qrCode: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` };
}

/**
 * The RFC 6238 time step `code` belongs to at `nowMs` within ±`TOTP_WINDOW_STEPS`, or undefined when it matches
 * none. `afterStep` refuses that step and earlier ones (a used code is not accepted again: replay).
 */
export function totpStep(secret: string, code: string, nowMs: number, afterStep?: number): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const result = verifySync({
    secret,
    token: code,
    epoch: Math.floor(nowMs / 1000),
    period: TOTP_PERIOD_SECONDS,
    epochTolerance: TOTP_PERIOD_SECONDS * TOTP_WINDOW_STEPS,
    ...(afterStep !== undefined ? { afterTimeStep: afterStep } : {}),
  });
  // The TOTP strategy's result carries the step; HOTP's (never asked for here) would not.
  return result.valid && 'timeStep' in result ? result.timeStep : undefined;
}
