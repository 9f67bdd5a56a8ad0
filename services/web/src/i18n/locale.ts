import { configureLocalization } from '@lit/localize';

/** The UI's languages: English (source) and Russian (the reference system's users wrote Russian). */
export const LOCALES = ['en', 'ru'] as const;
export type Locale = (typeof LOCALES)[number];
const STORAGE_KEY = 'cf-locale';

export const { getLocale, setLocale } = configureLocalization({
  sourceLocale: 'en',
  targetLocales: ['ru'],
  loadLocale: () => import('./ru.ts'),
});

/** The user's earlier choice, else the first browser language we have, else English. */
export function preferredLocale(): Locale {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored === 'en' || stored === 'ru') return stored;
  for (const language of navigator.languages) {
    const base = language.toLowerCase().split('-')[0];
    if (base === 'ru' || base === 'en') return base;
  }
  return 'en';
}

/** Switches the language now and for later visits; `<html lang>` follows. */
export async function chooseLocale(locale: Locale, remember = true): Promise<void> {
  if (remember) localStorage.setItem(STORAGE_KEY, locale);
  await setLocale(locale);
  document.documentElement.lang = locale;
}

/** A date and time in the UI's language, e.g. "30 Nov 2026, 14:05". */
export function formatDateTime(value: string | number | Date): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return '—';
  return new Intl.DateTimeFormat(getLocale(), { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

export function formatNumber(value: number): string {
  return new Intl.NumberFormat(getLocale()).format(value);
}

type PhoneLibrary = typeof import('./phone-library.ts');
let phones: PhoneLibrary | undefined;

/**
 * libphonenumber-js with its metadata is the largest part of the UI's code, so it loads beside the first
 * API calls instead of before the first paint; pages that show numbers await this with their data.
 */
export const phonesReady: Promise<void> = import('./phone-library.ts').then((library) => {
  phones = library;
});

function parsePhone(input: string) {
  const trimmed = input.trim();
  return phones?.parsePhoneNumberFromString(trimmed.startsWith('+') ? trimmed : `+${trimmed}`);
}

/** `+447700900123` → `+44 7700 900123`; unparseable (or before phonesReady) it is returned as given. */
export function formatPhone(phone: string | null | undefined): string {
  if (phone === null || phone === undefined || phone === '') return '';
  return parsePhone(phone)?.formatInternational() ?? phone;
}

/** The number in E.164 when libphonenumber-js deems it possible, else undefined. */
export async function normalizePhone(input: string): Promise<string | undefined> {
  await phonesReady;
  const parsed = parsePhone(input);
  return parsed?.isPossible() === true ? parsed.number : undefined;
}

/** Seconds as "0:42" / "14:05", for countdowns. */
export function formatCountdown(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
