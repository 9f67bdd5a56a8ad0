import { QueryTypes, type Sequelize } from 'sequelize';

/** A user's second factors as an administrator sees them (no secrets, no credential ids). */
export interface SecondFactors {
  /** A confirmed authenticator app (an enrolment awaiting its first code does not count). */
  totp: boolean;
  /** Registered passkeys. */
  passkeys: number;
  /** Unused recovery codes. */
  recoveryCodesLeft: number;
}

/**
 * Per user id, their second factors: one query for any number of ids (a page of the admin console). Users without
 * any get `{ totp: false, passkeys: 0, recoveryCodesLeft: 0 }`; every asked id is in the map.
 */
export async function secondFactorsOf(
  sequelize: Sequelize,
  userIds: readonly string[],
): Promise<Map<string, SecondFactors>> {
  const result = new Map<string, SecondFactors>(
    userIds.map((id) => [id, { totp: false, passkeys: 0, recoveryCodesLeft: 0 }]),
  );
  if (userIds.length === 0) return result;
  const rows = await sequelize.query<{ id: string; totp: boolean; passkeys: string; codes: string }>(
    `SELECT u.id,
       EXISTS (SELECT 1 FROM totp_credentials t WHERE t.user_id = u.id AND t.confirmed_at IS NOT NULL) AS totp,
       (SELECT count(*) FROM webauthn_credentials w WHERE w.user_id = u.id) AS passkeys,
       (SELECT count(*) FROM recovery_codes r WHERE r.user_id = u.id AND r.used_at IS NULL) AS codes
     FROM unnest($1::uuid[]) AS u(id)`,
    { bind: [userIds], type: QueryTypes.SELECT },
  );
  for (const row of rows) {
    result.set(row.id, { totp: row.totp, passkeys: Number(row.passkeys), recoveryCodesLeft: Number(row.codes) });
  }
  return result;
}
