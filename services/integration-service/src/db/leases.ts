import { PENDING_STATES } from './logins.ts';
import type { RowsQuery } from './rows.ts';

export interface LeaseRow {
  resource: string;
  owner: string;
  incarnation: string;
  token: string;
  expires_at: Date;
  live: boolean;
}

/** A held lease: the fencing token proves the holder is still the owner when it writes. */
export interface Fence {
  resource: string;
  token: string;
}

/** A lease just claimed, with who held it before (null when nobody ever did). */
export interface Claim extends Fence {
  previous: string | null;
}

/** The `leases` table: one row per owned resource, with expiry and a monotonic fencing token. */
export class LeaseStore {
  private readonly rows: RowsQuery;

  constructor(rows: RowsQuery) {
    this.rows = rows;
  }

  async get(resource: string): Promise<LeaseRow | undefined> {
    const [row] = await this.rows<LeaseRow>(
      `SELECT resource, owner, incarnation, token::text AS token, expires_at, expires_at > now() AS live
       FROM leases WHERE resource = $1`,
      [resource],
    );
    return row;
  }

  /**
   * Claims every free (absent or expired) lease among `resources` for this incarnation, in one statement.
   * Returns what was claimed with a new fencing token and who held it before.
   */
  async claim(resources: string[], owner: string, incarnation: string, ttlSeconds: number): Promise<Claim[]> {
    if (resources.length === 0) return [];
    return this.rows(
      `WITH wanted AS (SELECT DISTINCT unnest($1::text[]) AS resource),
       previous AS (SELECT l.resource, l.owner FROM leases l JOIN wanted w USING (resource))
       INSERT INTO leases (resource, owner, incarnation, token, expires_at)
       SELECT resource, $2, $3, nextval('lease_tokens'), now() + $4 * interval '1 second' FROM wanted
       ON CONFLICT (resource) DO UPDATE SET owner = EXCLUDED.owner, incarnation = EXCLUDED.incarnation,
         token = EXCLUDED.token, expires_at = EXCLUDED.expires_at
       WHERE leases.expires_at <= now()
       RETURNING resource, token::text AS token, (SELECT owner FROM previous p WHERE p.resource = leases.resource) AS previous`,
      [resources, owner, incarnation, ttlSeconds],
    );
  }

  /** Extends the held leases; returns the resources still ours (the rest were lost). */
  async renew(fences: Fence[], ttlSeconds: number): Promise<Set<string>> {
    if (fences.length === 0) return new Set();
    const rows = await this.rows<{ resource: string }>(
      `UPDATE leases l SET expires_at = now() + $3 * interval '1 second'
       FROM unnest($1::text[], $2::bigint[]) AS h(resource, token)
       WHERE l.resource = h.resource AND l.token = h.token AND l.expires_at > now()
       RETURNING l.resource`,
      [fences.map((fence) => fence.resource), fences.map((fence) => fence.token), ttlSeconds],
    );
    return new Set(rows.map((row) => row.resource));
  }

  /** Lets others claim at once (expired now), keeping the row so the token sequence stays monotonic. */
  async release(fences: Fence[]): Promise<void> {
    if (fences.length === 0) return;
    await this.rows<object>(
      `UPDATE leases l SET expires_at = now() - interval '1 millisecond'
       FROM unnest($1::text[], $2::bigint[]) AS h(resource, token)
       WHERE l.resource = h.resource AND l.token = h.token`,
      [fences.map((fence) => fence.resource), fences.map((fence) => fence.token)],
    );
  }

  /** Accounts and pending logins nobody holds: what a surviving pod adopts. */
  async orphans(limit: number): Promise<string[]> {
    const rows = await this.rows<{ resource: string }>(
      `(SELECT 'account:' || a.id AS resource FROM telegram_accounts a
         LEFT JOIN leases l ON l.resource = 'account:' || a.id
        WHERE a.state = 'connected' AND (l.resource IS NULL OR l.expires_at <= now()) LIMIT $1)
       UNION ALL
       (SELECT 'login:' || g.id FROM telegram_logins g
         LEFT JOIN leases l ON l.resource = 'login:' || g.id
        WHERE g.state = ANY($2) AND g.expires_at > now() AND g.session_ciphertext IS NOT NULL
          AND (l.resource IS NULL OR l.expires_at <= now()) LIMIT $1)`,
      [limit, PENDING_STATES],
    );
    return rows.map((row) => row.resource);
  }
}
