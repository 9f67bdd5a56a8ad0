/**
 * Light and dark themes: Web Awesome's `wa-light` / `wa-dark` classes on `<html>`. The default follows
 * the system setting (prefers-color-scheme) live; the toggle stores an explicit choice per browser.
 * public/theme-boot.js applies the same choice before first paint (no flash of the wrong theme).
 */
export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'cf-theme';
const media = matchMedia('(prefers-color-scheme: dark)');

export function themeChoice(): ThemeChoice {
  const stored = localStorage.getItem(KEY);
  return stored === 'light' || stored === 'dark' ? stored : 'system';
}

export function effectiveTheme(choice = themeChoice()): 'light' | 'dark' {
  return choice === 'system' ? (media.matches ? 'dark' : 'light') : choice;
}

function apply(): void {
  const dark = effectiveTheme() === 'dark';
  document.documentElement.classList.toggle('wa-dark', dark);
  document.documentElement.classList.toggle('wa-light', !dark);
  document.documentElement.style.colorScheme = dark ? 'dark' : 'light';
  window.dispatchEvent(new Event('cf-theme'));
}

export function chooseTheme(choice: ThemeChoice): void {
  if (choice === 'system') localStorage.removeItem(KEY);
  else localStorage.setItem(KEY, choice);
  apply();
}

/** system → light → dark → system */
export function nextTheme(choice = themeChoice()): ThemeChoice {
  return choice === 'system' ? 'light' : choice === 'light' ? 'dark' : 'system';
}

export function watchSystemTheme(): void {
  media.addEventListener('change', apply);
  apply();
}
