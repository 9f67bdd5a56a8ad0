import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { ACCESS_TOKEN_TYPE, type Role } from '@cf/kit';
import type { SigningKeys } from './signing-keys.ts';

export type { Role } from '@cf/kit';

export interface AccessTokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/** An ES256 access token for one session, signed with the current key; verified by the kit's `verifyAccessToken`. */
export function signAccessToken(
  keys: SigningKeys,
  settings: AccessTokenSettings,
  subject: { userId: string; sessionId: string; role: Role; emailVerified: boolean },
): { token: string; expiresIn: number } {
  const key = keys.current();
  const claims = { sid: subject.sessionId, role: subject.role, email_verified: subject.emailVerified };
  const token = jwt.sign(claims, key.privateKey, {
    algorithm: 'ES256',
    keyid: key.kid,
    header: { alg: 'ES256', kid: key.kid, typ: ACCESS_TOKEN_TYPE },
    issuer: settings.issuer,
    audience: settings.audience,
    subject: subject.userId,
    expiresIn: settings.ttlSeconds,
    jwtid: randomUUID(),
  });
  return { token, expiresIn: settings.ttlSeconds };
}
