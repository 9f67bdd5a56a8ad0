import { z } from 'zod';
import { TokenResponse } from '../routes/responses.ts';

// Request and answer shapes of the two-factor routes (issue 18 item 5); the OpenAPI document and the web's typed
// client come from these.

const B64Url = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9_-]*$/);

/** A WebAuthn assertion as `@simplewebauthn/browser`'s `startAuthentication` returns it. */
export const PasskeyAssertion = z.object({
  id: B64Url(1400),
  rawId: B64Url(1400),
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: B64Url(4096),
    authenticatorData: B64Url(4096),
    // ML-DSA-44 (post-quantum, offered by current browsers) signs with 2,420 bytes.
    signature: B64Url(8192),
    userHandle: B64Url(256).optional(),
  }),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
});

/** A WebAuthn attestation as `@simplewebauthn/browser`'s `startRegistration` returns it. */
export const PasskeyAttestation = z.object({
  id: B64Url(1400),
  rawId: B64Url(1400),
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: B64Url(4096),
    attestationObject: B64Url(16384),
    transports: z.array(z.string().max(20)).max(10).optional(),
    authenticatorData: B64Url(16384).optional(),
    publicKey: B64Url(8192).optional(),
    publicKeyAlgorithm: z.int().optional(),
  }),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
});

/** One fresh second factor: an authenticator code, a recovery code or a passkey assertion (first given wins). */
export const FactorProofBody = z.object({
  code: z.string().max(12).optional(),
  recoveryCode: z.string().max(40).optional(),
  passkey: PasskeyAssertion.optional(),
});

export const SecondFactorBody = FactorProofBody.extend({
  /** The `step_token` the login answered with. */
  step_token: z.string().max(200),
  includeRefreshToken: z.boolean().optional(),
});

export const StepTokenBody = z.object({ step_token: z.string().max(200) });

export const PasswordlessBody = z.object({ passkey: PasskeyAssertion, includeRefreshToken: z.boolean().optional() });

export const TotpConfirmBody = z.object({ code: z.string().max(12) });

export const PasskeyRegisterBody = z.object({
  response: PasskeyAttestation,
  /** What the user calls it in the list ("Laptop"); default "Passkey". */
  name: z.string().trim().min(1).max(80).optional(),
});

export const FactorMethod = z.enum(['totp', 'recovery-code', 'passkey']);

/** The login's answer when a second factor is needed: no session, only a step to complete. */
export const SecondFactorStep = z.object({
  second_factor_required: z.literal(true),
  /** Opaque, single use; bound to the user whose password was right. */
  step_token: z.string(),
  /** Seconds the step may be completed in. */
  expires_in: z.int().min(1),
  /** The factors this account can complete it with. */
  methods: z.array(FactorMethod),
});

export const LoginAnswer = z.union([TokenResponse, SecondFactorStep]);

export const TotpEnrolmentBody = z.object({
  secret: z.string(),
  otpauthUri: z.string(),
  /** `data:image/svg+xml;base64,…` */
  qrCode: z.string(),
});

export const RecoveryCodes = z.object({
  /** Shown once: only their digests are kept. Empty when the user still had unused codes. */
  recoveryCodes: z.array(z.string()),
});

export const Passkey = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
});

export const TwoFactorState = z.object({
  /** Whether a login needs a second factor. */
  enabled: z.boolean(),
  totp: z.boolean(),
  passkeys: z.array(Passkey),
  recoveryCodesLeft: z.int().min(0),
});

export const PasskeyAdded = Passkey.extend(RecoveryCodes.shape);

/** WebAuthn options JSON, as `@simplewebauthn/browser` reads it (documented loosely: the standard defines it). */
export const WebAuthnOptions = z.record(z.string(), z.unknown());
