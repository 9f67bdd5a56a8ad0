import { z } from 'zod';

// What each route answers on success, as zod schemas: the OpenAPI document's response bodies come from
// these (issue 22), and the web's typed client from that document. Timestamps are JSON-serialised `Date`s.

const Timestamp = z.iso.datetime();

/** The account as clients see it (`publicUser`): never the password hash. */
export const PublicUser = z.object({
  id: z.uuid(),
  email: z.string(),
  displayName: z.string().nullable(),
  role: z.enum(['user', 'admin']),
  /** Whether the current address was proven by a link (issue 18). */
  emailVerified: z.boolean(),
  createdAt: Timestamp,
});

/** The account as administrators see it. */
export const AdminUser = PublicUser.extend({ disabled: z.boolean() });

/** RFC 6749 §5.1 token response; the refresh token is in the body only when asked for (else an HttpOnly cookie). */
export const TokenResponse = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  /** Seconds. */
  expires_in: z.int().min(1),
  refresh_token: z.string().optional(),
});

export const Registered = z.object({ user: PublicUser, session: TokenResponse });

export const LiveSession = z.object({ sessionId: z.uuid(), userId: z.uuid(), role: z.enum(['user', 'admin']) });

export const SessionList = z.object({
  sessions: z.array(
    z.object({
      id: z.uuid(),
      createdAt: Timestamp,
      lastUsedAt: Timestamp,
      ip: z.string().nullable(),
      userAgent: z.string().nullable(),
      current: z.boolean(),
    }),
  ),
});

/** `RevocationFeed.since`: ended sessions after a feed position (times in seconds since the epoch). */
export const RevocationPage = z.object({
  version: z.int().min(0),
  revocations: z.array(z.object({ sid: z.uuid(), revokedAt: z.number(), until: z.number() })),
  more: z.boolean(),
});
