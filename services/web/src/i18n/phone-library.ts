// The one part of libphonenumber-js the UI uses, as its own chunk (see locale.ts `phonesReady`), so the
// bundler keeps only what this needs.
export { parsePhoneNumberFromString } from 'libphonenumber-js/min';
