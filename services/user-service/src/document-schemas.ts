import {
  AdminListedUser,
  AdminUserDetail,
  AdminUserList,
  AuditEvent,
  AuditEventPage,
  SecondFactors,
  SessionsEnded,
} from './admin/schemas.ts';
import { AdminUser, PublicUser, Registered, SessionList, TokenResponse } from './routes/responses.ts';
import {
  FactorMethod,
  FactorProofBody,
  Passkey,
  PasskeyAdded,
  PasskeyAssertion,
  RecoveryCodes,
  SecondFactorStep,
  TotpEnrolmentBody,
  TwoFactorState,
  WebAuthnOptions,
} from './two-factor/schemas.ts';

/**
 * The shapes the OpenAPI document states once, under `components.schemas`, and refers to from every
 * operation that sends or takes them (the web's generated client names them the same way). Only public
 * shapes: the gateway publishes every component, and `/internal` answers are not part of its API.
 */
export const DOCUMENT_SCHEMAS = {
  PublicUser,
  AdminUser,
  TokenResponse,
  Registered,
  SessionList,
  FactorMethod,
  SecondFactorStep,
  PasskeyAssertion,
  FactorProof: FactorProofBody,
  Passkey,
  PasskeyAdded,
  RecoveryCodes,
  TotpEnrolment: TotpEnrolmentBody,
  TwoFactorState,
  WebAuthnOptions,
  SecondFactors,
  AdminListedUser,
  AdminUserList,
  AdminUserDetail,
  SessionsEnded,
  AuditEvent,
  AuditEventPage,
};
