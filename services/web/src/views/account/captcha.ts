import { html, nothing, type TemplateResult } from 'lit';
// The widget's "external" build: no inline worker (blob:) and no injected script, so the strict CSP holds; the
// worker is a same-origin file Vite emits, the styles come with the app's stylesheet.
import 'altcha/external';
import 'altcha/i18n/ru';
import 'altcha/altcha.css';
import Pbkdf2Worker from 'altcha/workers/pbkdf2?worker';
import { getLocale } from '../../i18n/locale.ts';

// user-service's challenges are PBKDF2/SHA-256 (services/user-service/src/captcha/captcha.ts).
globalThis.$altcha.algorithms.set('PBKDF2/SHA-256', () => new Pbkdf2Worker());

/** Where the widget fetches its challenge: user-service's `GET /auth/captcha` through the gateway. */
export const CAPTCHA_URL = '/api/auth/captcha';

/**
 * Whether the server asks for a captcha on registration and reset: its challenge route answers 200 (a challenge,
 * spent here; the widget fetches its own) or 404 (none asked). Any other answer counts as asked: the form then shows
 * the widget, whose own error says what failed.
 */
export async function captchaAsked(): Promise<boolean> {
  try {
    const response = await fetch(CAPTCHA_URL, { cache: 'no-store', signal: AbortSignal.timeout(10_000) });
    return response.status !== 404;
  } catch {
    return true;
  }
}

/**
 * The ALTCHA widget inside a form: a checkbox the user ticks (keyboard: Space) that solves the proof of work in a
 * worker and puts the answer into the form as `captcha`. `error` is shown at the widget, tied to it for screen
 * readers. Read the answer with `captchaAnswer(form)`.
 */
export function captchaField(error: string | undefined): TemplateResult {
  return html`<div class="field captcha-field ${error ? 'invalid' : ''}" data-testid="captcha">
    <altcha-widget
      challenge=${CAPTCHA_URL}
      name="captcha"
      language=${getLocale()}
      aria-describedby="captcha-error"
      @statechange=${remember}
    ></altcha-widget>
    <p class="field-error" id="captcha-error" role=${error ? 'alert' : nothing}>
      ${error ? html`<wa-icon name="circle-alert" aria-hidden="true"></wa-icon> ${error}` : nothing}
    </p>
  </div>`;
}

/** Keeps the widget's answer on the element too, whether or not its hidden input is in the form's DOM. */
function remember(event: Event): void {
  const detail = (event as CustomEvent<{ state?: string; payload?: string }>).detail;
  const widget = event.currentTarget as HTMLElement;
  if (detail.state === 'verified' && typeof detail.payload === 'string') widget.dataset['payload'] = detail.payload;
  else delete widget.dataset['payload'];
}

/** The solved answer the widget put into `form`, or undefined while it is not solved. */
export function captchaAnswer(form: HTMLFormElement): string | undefined {
  const value = new FormData(form).get('captcha');
  if (typeof value === 'string' && value !== '') return value;
  return form.querySelector<HTMLElement>('altcha-widget')?.dataset['payload'] || undefined;
}

/** Starts the widget over (a refused or used answer cannot be sent again). */
export function resetCaptcha(form: HTMLFormElement): void {
  const widget = form.querySelector('altcha-widget');
  if (widget === null) return;
  delete widget.dataset['payload'];
  widget.reset();
}
