import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** What a fake session string names: its auth key, its DC and, for a signed-in demo session, the account's phone. */
export interface FakeSession {
  key: string;
  dcId: number;
  /** Digits of the phone a demo session is signed in to; only set when the string's seal is valid. */
  phone: string | undefined;
}

/**
 * The seal's key is no secret (it is in the source): it only makes a junk or altered string fail as a revoked session
 * does. Forging a demo session gains nothing: any demo phone signs in with the demo code anyway.
 */
const SEAL_KEY = 'content-factory demo telegram session seal v1';

const seal = (key: string, dcId: number, phone: string): Buffer =>
  createHmac('sha256', SEAL_KEY).update(`${key}:${dcId}:${phone}`).digest().subarray(0, 16);

/** Digits only: how the fake keys phone numbers. */
export function normalize(phone: string): string {
  return phone.replace(/[^\d]/g, '');
}

/**
 * A demo account's Telegram user id, the same in every demo instance (and so are the chats seeded for it): a
 * session reopened by another pod answers getSelf with the user it signed in as.
 */
export function demoUserId(phone: string): string {
  const digest = createHash('sha256')
    .update(`demo user:${normalize(phone)}`)
    .digest();
  return String(1_000_000_000 + (digest.readUIntBE(0, 6) % 9_000_000_000));
}

/**
 * `fake1:<key>:<dc>`; a signed-in demo session adds `:<phone>:<seal>`, so that any demo instance can reopen it without
 * the server-side state of the instance that signed it in (each pod of a dev cluster has its own in-memory fake).
 * A secret like every session string: never log it.
 */
export function formatSession(key: string, dcId: number, phone?: string): string {
  if (phone === undefined) return `fake1:${key}:${dcId}`;
  return `fake1:${key}:${dcId}:${phone}:${seal(key, dcId, phone).toString('base64url')}`;
}

/** The parts of a fake session string; undefined when it is none, or when its demo seal does not match. */
export function parseSession(session: string): FakeSession | undefined {
  const match = /^fake1:([0-9a-f-]{36}):(\d+)(?::(\d{7,15}):([\w-]{22}))?$/.exec(session);
  if (match === null) return undefined;
  const key = match[1]!;
  const dcId = Number(match[2]);
  const phone = match[3];
  const sealed = match[4];
  if (phone === undefined || sealed === undefined) return { key, dcId, phone: undefined };
  const given = Buffer.from(sealed, 'base64url');
  const expected = seal(key, dcId, phone);
  return given.length === expected.length && timingSafeEqual(given, expected) ? { key, dcId, phone } : undefined;
}
