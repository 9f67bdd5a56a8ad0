import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { AccessTokenCheck } from '@cf/kit';

/** What to change in an otherwise valid access token; a field set to `undefined` is left out. */
export interface TokenParts {
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  /** Sign with this key instead of the issuer's. */
  key?: KeyObject;
}

export interface TestIssuer {
  /** What a verifier needs: the issuer, the audience and the key by `kid` (`k1` is the only one known). */
  check: AccessTokenCheck;
  /** A P-256 key the verifier does not know. */
  foreignKey: KeyObject;
  /** An access token as user-service issues one (ES256, `typ: at+jwt`, kid k1, 60 s), but for `parts`. */
  token(parts?: TokenParts): string;
}

const defined = (entries: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined));

/** An access-token issuer for kit tests: real keys, real jsonwebtoken, every claim overridable. */
export function testIssuer(issuer = 'https://issuer.test', audience = 'cf-test'): TestIssuer {
  const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const foreign = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    check: { keys: { key: async (kid) => (kid === 'k1' ? signing.publicKey : undefined) }, issuer, audience },
    foreignKey: foreign.privateKey,
    token(parts = {}) {
      const now = Math.floor(Date.now() / 1000);
      const claims = defined({
        iss: issuer,
        aud: audience,
        sub: 'user-1',
        sid: 'session-1',
        role: 'user',
        iat: now,
        exp: now + 60,
        jti: 'token-1',
        ...parts.claims,
      });
      const header = defined({ alg: 'ES256', kid: 'k1', typ: 'at+jwt', ...parts.header });
      return jwt.sign(claims, parts.key ?? signing.privateKey, {
        algorithm: 'ES256',
        header: header as unknown as jwt.JwtHeader,
      });
    },
  };
}
