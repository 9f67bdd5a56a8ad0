import { html, svg } from 'lit';

/** The brand: a paper plane leaving a square (a post going out), and the product's name. */
export function logoMark(size = 28) {
  return html`<svg class="logo-mark" width=${size} height=${size} viewBox="0 0 32 32" aria-hidden="true">
    ${svg`<defs><linearGradient id="cf-logo-g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#4f46e5"/><stop offset="1" stop-color="#0891b2"/></linearGradient></defs>
    <rect width="32" height="32" rx="8" fill="url(#cf-logo-g)"/>
    <path d="M7 15.2 24.5 8l-4 16.5-5.2-5.1-3.3 3.1v-5z" fill="#fff"/>
    <path d="M12 17.5 24.5 8 15.3 19.4" fill="none" stroke="#4f46e5" stroke-width="1.4" stroke-linejoin="round"/>`}
  </svg>`;
}

export function logo() {
  return html`<span class="logo">${logoMark()}<span class="logo-name">Content Factory</span></span>`;
}
