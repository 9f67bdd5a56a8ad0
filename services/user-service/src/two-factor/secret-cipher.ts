// TOTP secrets are encrypted by the kit's secret cipher, as integration-service's session strings are.
export { LocalCipher as LocalSecretCipher, TransitCipher as TransitSecretCipher, type SecretCipher } from '@cf/kit';
