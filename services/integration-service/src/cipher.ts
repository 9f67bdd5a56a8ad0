// The session cipher is the kit's secret cipher (user-service's TOTP secrets use the same one).
export { LocalCipher, TransitCipher, type SecretCipher as SessionCipher } from '@cf/kit';
