import { msg } from '@lit/localize';
import type { ApiProblem } from '../api/problem.ts';
import { badgeFor, entryFor, phrase, type BadgeEntry, type Phrases } from './code-words.ts';

/** Where a problem happened: the same status means different things to a person in different places. */
export type ProblemContext =
  'login' | 'register' | 'load' | 'session' | 'phone' | 'code' | 'resend' | 'password' | 'qr' | 'disconnect' | 'cancel';

const sessionEnded = phrase('Telegram ended this connection. Connect the account again.', 'tg.session-ended');
const telegramUnavailable = phrase('Telegram did not answer as expected. Try again in a moment.', 'tg.unavailable');

/** Telegram's error kinds (integration-service `TelegramError.kind`) in words, those that read alike together. */
const telegramKinds: Phrases = {
  FloodWait: phrase('Telegram asks you to wait before trying again.', 'tg.flood'),
  Unavailable: telegramUnavailable,
  TelegramError: telegramUnavailable,
  CodeInvalid: phrase('That code is not correct. Check it and try again.', 'tg.code-invalid'),
  CodeExpired: phrase('That code has expired. Ask for a new one.', 'tg.code-expired'),
  PasswordInvalid: phrase('That password is not correct.', 'tg.password-invalid'),
  PasswordNeeded: phrase('This account needs its two-step verification password.', 'tg.password-needed'),
  SessionRevoked: sessionEnded,
  KeyDuplicated: sessionEnded,
  PhoneInvalid: phrase('Telegram does not accept this phone number.', 'tg.phone-invalid'),
  PhoneBanned: phrase('Telegram has blocked this phone number.', 'tg.phone-banned'),
};

function telegramText(kind: string): string | undefined {
  return entryFor(telegramKinds, kind, undefined)?.();
}

/** The sentence a person reads for a failed request; never the server's own words. */
export function problemText(problem: ApiProblem, context: ProblemContext): string {
  if (problem.kind !== undefined) {
    const text = telegramText(problem.kind);
    if (text !== undefined) return text;
  }
  switch (problem.status) {
    case 0:
      return msg('The server cannot be reached. Check your connection and try again.', { id: 'p.network' });
    case 400:
      return problem.fields.length > 0
        ? msg('Check the highlighted fields.', { id: 'p.fields' })
        : msg('Something in the form is not right. Check it and try again.', { id: 'p.bad-request' });
    case 401:
      return context === 'login'
        ? msg('The email or password is incorrect.', { id: 'p.credentials' })
        : msg('Your session has ended. Log in again.', { id: 'p.session-ended' });
    case 403:
      if (problem.type === 'unverified') return unverifiedText();
      return msg('You are not allowed to do this.', { id: 'p.forbidden' });
    case 404:
      return context === 'code' || context === 'resend' || context === 'password' || context === 'qr'
        ? msg('This login is no longer available. Start again.', { id: 'p.login-gone' })
        : msg('This was not found. It may have been removed.', { id: 'p.not-found' });
    case 409:
      if (context === 'register') return msg('An account with this email already exists.', { id: 'p.email-taken' });
      return msg('This login has already ended. Start again.', { id: 'p.login-ended' });
    case 413:
      return msg('That is too large to send.', { id: 'p.too-large' });
    case 429:
      return msg('Too many attempts.', { id: 'p.too-many' });
    default:
      if (problem.status >= 500)
        return msg('The service is temporarily unavailable. Try again in a moment.', { id: 'p.unavailable' });
      return msg('Something went wrong. Try again.', { id: 'p.unknown' });
  }
}

/** Form fields' errors in words, by field name (the password's depends on the validator's complaint). */
const fields: Phrases = {
  email: phrase('Enter an email address like name@example.org.', 'f.email'),
  displayName: phrase('Use at most 80 characters.', 'f.display-name'),
  phone: phrase('Enter the number in international format, e.g. +44 7700 900123.', 'f.phone'),
  code: phrase('Enter the code you received: 4 to 8 digits.', 'f.code'),
};

const valueRefused = phrase('This value is not accepted.', 'f.other');

/** A field's error in words, chosen by the field and what the validator complained about. */
export function fieldText(field: string, serverMessage: string): string {
  if (field === 'password')
    return /common|leaked/i.test(serverMessage)
      ? msg('This password is too common. Choose one that is not on lists of leaked passwords.', {
          id: 'f.password-common',
        })
      : msg('Use 8 to 128 characters.', { id: 'f.password-length' });
  return entryFor(fields, field, valueRefused)();
}

/** Field errors by field name, in words; form-level (`(root)`) entries are left to problemText. */
export function fieldTexts(problem: ApiProblem): Record<string, string> {
  const texts: Record<string, string> = {};
  for (const entry of problem.fields) {
    if (entry.field === '(root)' || texts[entry.field] !== undefined) continue;
    texts[entry.field] = fieldText(entry.field, entry.message);
  }
  return texts;
}

/** A login's steps, the last part of its log operations (`login.phone.code`). */
const loginSteps: Phrases = {
  start: phrase('started', 'op.start'),
  resend: phrase('code sent again', 'op.resend'),
  code: phrase('code entered', 'op.code'),
  password: phrase('password entered', 'op.password'),
  refresh: phrase('code renewed', 'op.refresh'),
  accepted: phrase('code scanned', 'op.accepted'),
};

/** Integration log operations (`login.phone.code`, …) in words. */
export function operationText(operation: string): string {
  const [area, method, step] = operation.split('.');
  if (area === 'account' && method === 'delete') return msg('Disconnected an account', { id: 'op.disconnect' });
  // `login.password`: the two-step password, whichever way the login started.
  if (area === 'login' && method === 'password') return msg('Two-step password entered', { id: 'op.password-any' });
  if (area === 'login' && method === 'cancel') return msg('Login cancelled', { id: 'op.cancel' });
  if (area === 'login') {
    const how = method === 'qr' ? msg('QR login', { id: 'op.qr' }) : msg('Phone login', { id: 'op.phone' });
    const done = entryFor(loginSteps, step, undefined)?.();
    return done === undefined ? how : `${how}: ${done}`;
  }
  const publishingOperation = publishingOperationText(operation);
  if (publishingOperation !== undefined) return publishingOperation;
  return msg('Telegram operation', { id: 'op.other' });
}

/** An error kind from the log or the statistics in words (no internal names on screen). */
export function errorKindText(kind: string | null | undefined): string {
  if (kind === null || kind === undefined || kind === '') return msg('Unknown error', { id: 'kind.unknown' });
  return telegramText(kind) ?? msg('Unexpected error', { id: 'kind.other' });
}

type OutcomeVariant = 'success' | 'danger' | 'neutral';

/** Integration log outcomes in words, with the badge's colour. */
const outcomes: Readonly<Record<string, BadgeEntry<OutcomeVariant>>> = {
  ok: { text: phrase('Done', 'outcome.ok'), variant: 'success' },
  connected: { text: phrase('Connected', 'outcome.connected'), variant: 'success' },
  expired: { text: phrase('Expired', 'outcome.expired'), variant: 'neutral' },
  error: { text: phrase('Failed', 'outcome.error'), variant: 'danger' },
};

export function outcomeText(outcome: string): { text: string; variant: OutcomeVariant } {
  return badgeFor(outcomes, outcome, { text: phrase('Other', 'outcome.other'), variant: 'neutral' });
}

// Two-factor authentication (issue 18; engineer twofactor): user-service's `…/problems/second-factor/*` and
// `…/problems/login-step/*` in words.
/** A refused second factor or login step in words; undefined for any other problem (problemText decides). */
export function secondFactorText(problem: ApiProblem): string | undefined {
  if (problem.status === 401 && ['expired', 'used', 'invalid'].includes(problem.type))
    return msg('This login attempt has ended. Go back and log in again.', { id: 'p.2fa-step' });
  if (problem.status === 400 && problem.type === 'wrong')
    return msg('That code or passkey was not accepted. Check it and try again.', { id: 'p.2fa-wrong' });
  if (problem.status === 400 && problem.type === 'required')
    return msg('Confirm with a code from your authenticator app, a recovery code or a passkey.', {
      id: 'p.2fa-required',
    });
  if (problem.status === 400 && problem.type === 'not-enrolled')
    return msg('Two-step verification is not set up for this account.', { id: 'p.2fa-not-enrolled' });
  if (problem.status === 429)
    return msg('Too many wrong codes. Wait a while, then try again.', { id: 'p.2fa-too-many' });
  return undefined;
}

// Accounts (issue 18; engineer accountweb): user-service's `…/problems/captcha/*` and `…/problems/account-links/*`,
// integration-service's `…/problems/account/unverified`, in words.
/** What an account with an unverified address is told when it is refused (403 `…/account/unverified`). */
export function unverifiedText(): string {
  return msg('Verify your email address first: follow the link in the mail we sent you. You can send it again above.', {
    id: 'p.unverified',
  });
}

/** A form sent before its captcha was solved (the same words whether the browser or the server noticed). */
export function captchaMissingText(): string {
  return msg('Tick “I’m not a robot” and wait until it is checked.', { id: 'acct.captcha-missing' });
}

/** A mailed link refused (`…/problems/account-links/*`). */
const linkProblems: Phrases = {
  expired: phrase('This link has expired. Ask for a new one.', 'p.link-expired'),
  used: phrase('This link has already been used.', 'p.link-used'),
  invalid: phrase('This link is not valid. Copy the whole link from the mail, or ask for a new one.', 'p.link-invalid'),
};

const captchaExpired = phrase('The robot check has expired. Tick it again.', 'p.captcha-expired');
const captchaFailed = phrase('The robot check did not pass. Tick it again.', 'p.captcha-failed');

/** A captcha refused (`…/problems/captcha/*`). */
const captchaProblems: Phrases = {
  missing: captchaMissingText,
  expired: captchaExpired,
  replayed: captchaExpired,
  malformed: captchaFailed,
  forged: captchaFailed,
};

/**
 * A refused captcha (in a form) or mailed link (on the link's page) in words; undefined for any other problem
 * (problemText decides). The problem type's last segment alone is ambiguous (`expired`), so the caller says where.
 */
export function accountProblemText(problem: ApiProblem, where: 'form' | 'link'): string | undefined {
  if (problem.status !== 400) return undefined;
  return entryFor(where === 'link' ? linkProblems : captchaProblems, problem.type, undefined)?.();
}

// Publishing (issue 17; engineer webpub): channels, bots, images and posts.
/** What a publishing request was doing when it failed: the same status means different things in each. */
export type PublishingContext = 'load' | 'channel' | 'bot' | 'image' | 'post' | 'target';

/** A failed publishing request in words; problemText covers what publishing does not say differently. */
export function publishingText(problem: ApiProblem, context: PublishingContext): string {
  if (problem.status === 400 && problem.type === 'token-invalid')
    return msg('Telegram does not know this bot token. Copy it again from @BotFather.', { id: 'p.bot-token' });
  if (problem.kind === 'ChatWriteForbidden' || problem.kind === 'ChatAdminRequired')
    return msg('This account or bot may no longer post in the channel.', { id: 'p.pub-rights' });
  switch (problem.status) {
    case 409:
      if (context === 'bot')
        return msg('This bot is already added, or you have reached the number of bots.', { id: 'p.bot-conflict' });
      if (context === 'channel')
        return msg('The account is not connected, or you manage as many channels as allowed.', {
          id: 'p.channel-conflict',
        });
      if (context === 'image')
        return msg('Too many images are waiting for a post. Publish or remove some first.', { id: 'p.image-cap' });
      if (context === 'target') return msg('Only a failed delivery can be retried.', { id: 'p.target-state' });
      return msg('This post is already being sent or was sent, so it can no longer change.', { id: 'p.post-sent' });
    case 413:
      return context === 'image'
        ? msg('This image is larger than 10 MB. Choose a smaller one.', { id: 'p.image-large' })
        : msg('A post can have at most 10 images.', { id: 'p.images-many' });
    case 502:
      return telegramUnavailable();
    default:
      return problemText(problem, 'load');
  }
}

/** A publishing field's error in words. */
export function publishingFieldText(field: string): string {
  if (field === 'token' || field.endsWith('.token'))
    return msg('Telegram does not know this bot token. Copy it again from @BotFather.', { id: 'p.bot-token' });
  if (field === 'name') return msg('Use 1 to 64 characters.', { id: 'f.bot-name' });
  if (field === 'text') return msg('Use at most 4096 characters (1024 with images).', { id: 'f.post-text' });
  if (field === 'scheduledAt') return msg('Choose a time from now to a year ahead.', { id: 'f.post-time' });
  if (field.startsWith('targets')) return msg('Choose at least one channel.', { id: 'f.post-targets' });
  if (field.startsWith('entities')) return msg('A link must start with https:// or tg://.', { id: 'f.post-link' });
  return valueRefused();
}

/** Publishing's integration log operations in words (issue 17). */
const publishingOperations: Phrases = {
  'bot.add': phrase('Bot added', 'op.bot-add'),
  'bot.remove': phrase('Bot removed', 'op.bot-remove'),
  'channel.manage': phrase('Channel managed', 'op.channel-manage'),
  'channel.remove': phrase('Channel no longer managed', 'op.channel-remove'),
  'post.create': phrase('Post scheduled', 'op.post-create'),
  'post.cancel': phrase('Post cancelled', 'op.post-cancel'),
  'post.retry': phrase('Post sent again', 'op.post-retry'),
};

function publishingOperationText(operation: string): string | undefined {
  const known = entryFor(publishingOperations, operation, undefined);
  if (known !== undefined) return known();
  return operation.startsWith('post.') ? msg('Post delivery', { id: 'op.post-other' }) : undefined;
}
