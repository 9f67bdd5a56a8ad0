/**
 * The mails user-service sends: one function per message, each giving a plain-text and an HTML body that say the
 * same thing. No images, no tracking pixels, no external resources, no link other than the action link itself
 * (issue 18: "with the product name and no tracking").
 */
export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

export interface MailBrand {
  /** Shown in every subject and greeting, e.g. "Content Factory". */
  productName: string;
}

/** What each message needs; `kind` names the template (and the outbox row's `kind`). */
export type MailRequest =
  | { kind: 'verify-email'; link: string; hoursValid: number }
  | { kind: 'email-changed'; newAddress: string }
  | { kind: 'password-reset'; link: string; minutesValid: number }
  | { kind: 'password-reset-done' };

// Only our own fixed strings and the values above reach the HTML, but an address or a link can carry `<` or `"`.
function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(brand: MailBrand, paragraphs: string[], action?: { label: string; link: string }): string {
  const body = paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n');
  const button =
    action === undefined
      ? ''
      : `<p><a href="${escapeHtml(action.link)}">${escapeHtml(action.label)}</a></p>\n` +
        `<p>${escapeHtml(action.link)}</p>\n`;
  return (
    `<!doctype html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(brand.productName)}</title></head>\n` +
    `<body>\n${body}\n${button}<p>— ${escapeHtml(brand.productName)}</p>\n</body></html>\n`
  );
}

function text(brand: MailBrand, paragraphs: string[], link?: string): string {
  return [...paragraphs, ...(link === undefined ? [] : [link]), `— ${brand.productName}`].join('\n\n') + '\n';
}

/** Renders one message. Pure: the same request gives the same mail. */
export function renderMail(brand: MailBrand, request: MailRequest): MailContent {
  const name = brand.productName;
  switch (request.kind) {
    case 'verify-email': {
      const lines = [
        `Please confirm this address for your ${name} account by opening the link below.`,
        `The link works once and expires in ${request.hoursValid} hours. If you did not create an account, ignore this mail.`,
      ];
      return {
        subject: `${name}: confirm your email address`,
        text: text(brand, lines, request.link),
        html: page(brand, lines, { label: 'Confirm my address', link: request.link }),
      };
    }
    case 'email-changed': {
      const lines = [
        `The email address of your ${name} account is being changed to ${request.newAddress}.`,
        'If this was not you, reset your password at once and contact the administrator.',
      ];
      return { subject: `${name}: your email address is changing`, text: text(brand, lines), html: page(brand, lines) };
    }
    case 'password-reset': {
      const lines = [
        `Someone asked to reset the password of your ${name} account. To choose a new one, open the link below.`,
        `The link works once and expires in ${request.minutesValid} minutes. Resetting signs out every device. If you did not ask, ignore this mail: your password stays as it is.`,
      ];
      return {
        subject: `${name}: reset your password`,
        text: text(brand, lines, request.link),
        html: page(brand, lines, { label: 'Choose a new password', link: request.link }),
      };
    }
    case 'password-reset-done': {
      const lines = [
        `The password of your ${name} account was reset and every device was signed out.`,
        'If this was not you, reset it again at once and contact the administrator.',
      ];
      return { subject: `${name}: your password was reset`, text: text(brand, lines), html: page(brand, lines) };
    }
  }
}
