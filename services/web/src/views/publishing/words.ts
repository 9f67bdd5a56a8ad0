import { msg } from '@lit/localize';
import { badgeFor, entryFor, phrase, type BadgeEntry, type Phrases } from '../../i18n/code-words.ts';
import type { Channel, Target } from './api.ts';

type Variant = 'success' | 'warning' | 'danger' | 'neutral' | 'brand';

const channelStates: Readonly<Record<Channel['state'], BadgeEntry<Variant>>> = {
  ok: { text: phrase('Can post', 'ch.ok'), variant: 'success' },
  rights_removed: { text: phrase('Posting rights removed', 'ch.rights-removed'), variant: 'danger' },
  gone: { text: phrase('Channel no longer available', 'ch.gone'), variant: 'neutral' },
};

/** A managed channel's state for people. */
export function channelState(state: Channel['state']): { text: string; variant: Variant } {
  return badgeFor(channelStates, state, channelStates.gone);
}

const targetStates: Readonly<Record<Target['state'], BadgeEntry<Variant>>> = {
  scheduled: { text: phrase('Scheduled', 'tgt.scheduled'), variant: 'brand' },
  sending: { text: phrase('Sending', 'tgt.sending'), variant: 'warning' },
  sent: { text: phrase('Sent', 'tgt.sent'), variant: 'success' },
  failed: { text: phrase('Failed', 'tgt.failed'), variant: 'danger' },
  unknown: { text: phrase('Unknown — check the channel', 'tgt.unknown'), variant: 'warning' },
  cancelled: { text: phrase('Cancelled', 'tgt.cancelled'), variant: 'neutral' },
};

/** A post target's delivery state for people. */
export function targetState(state: Target['state']): { text: string; variant: Variant } {
  return badgeFor(targetStates, state, targetStates.cancelled);
}

type FailureCause = 'rights' | 'flood' | 'account' | 'bot' | 'unconfirmed';

/** What a delivery's failure (integration-service's error kind) says about its cause. */
const failureCauses: Readonly<Record<string, FailureCause>> = {
  ChatWriteForbidden: 'rights',
  ChatAdminRequired: 'rights',
  RightsRemoved: 'rights',
  FloodWait: 'flood',
  SessionRevoked: 'account',
  NotConnected: 'account',
  BotRemoved: 'bot',
  TokenInvalid: 'bot',
  Unknown: 'unconfirmed',
  Timeout: 'unconfirmed',
};

const causes: Phrases<FailureCause> = {
  rights: phrase('No right to post in this channel any more.', 'fail.rights'),
  flood: phrase('Telegram asked to wait; it will be sent later.', 'fail.flood'),
  account: phrase('The account is not connected.', 'fail.account'),
  bot: phrase('The bot is no longer available.', 'fail.bot'),
  unconfirmed: phrase('Telegram did not confirm the send. Check the channel before retrying.', 'fail.unknown'),
};

/** Why a delivery failed in words; nothing when it did not. */
export function failureText(kind: string | null): string {
  if (kind === null) return '';
  const cause = entryFor(failureCauses, kind, undefined);
  return cause === undefined ? msg('Telegram refused the send.', { id: 'fail.other' }) : causes[cause]();
}

/** The user's IANA time zone, shown next to every time they pick. */
export function userTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}
