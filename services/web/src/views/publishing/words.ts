import { msg } from '@lit/localize';
import type { Channel, Target } from './api.ts';

type Variant = 'success' | 'warning' | 'danger' | 'neutral' | 'brand';

/** A managed channel's state for people. */
export function channelState(state: Channel['state']): { text: string; variant: Variant } {
  switch (state) {
    case 'ok':
      return { text: msg('Can post', { id: 'ch.ok' }), variant: 'success' };
    case 'rights_removed':
      return { text: msg('Posting rights removed', { id: 'ch.rights-removed' }), variant: 'danger' };
    default:
      return { text: msg('Channel no longer available', { id: 'ch.gone' }), variant: 'neutral' };
  }
}

/** A post target's delivery state for people. */
export function targetState(state: Target['state']): { text: string; variant: Variant } {
  switch (state) {
    case 'scheduled':
      return { text: msg('Scheduled', { id: 'tgt.scheduled' }), variant: 'brand' };
    case 'sending':
      return { text: msg('Sending', { id: 'tgt.sending' }), variant: 'warning' };
    case 'sent':
      return { text: msg('Sent', { id: 'tgt.sent' }), variant: 'success' };
    case 'failed':
      return { text: msg('Failed', { id: 'tgt.failed' }), variant: 'danger' };
    case 'unknown':
      return { text: msg('Unknown — check the channel', { id: 'tgt.unknown' }), variant: 'warning' };
    default:
      return { text: msg('Cancelled', { id: 'tgt.cancelled' }), variant: 'neutral' };
  }
}

/** Why a delivery failed (integration-service's error kind) in words. */
export function failureText(kind: string | null): string {
  switch (kind) {
    case null:
      return '';
    case 'ChatWriteForbidden':
    case 'ChatAdminRequired':
    case 'RightsRemoved':
      return msg('No right to post in this channel any more.', { id: 'fail.rights' });
    case 'FloodWait':
      return msg('Telegram asked to wait; it will be sent later.', { id: 'fail.flood' });
    case 'SessionRevoked':
    case 'NotConnected':
      return msg('The account is not connected.', { id: 'fail.account' });
    case 'BotRemoved':
    case 'TokenInvalid':
      return msg('The bot is no longer available.', { id: 'fail.bot' });
    case 'Unknown':
    case 'Timeout':
      return msg('Telegram did not confirm the send. Check the channel before retrying.', { id: 'fail.unknown' });
    default:
      return msg('Telegram refused the send.', { id: 'fail.other' });
  }
}

/** The user's IANA time zone, shown next to every time they pick. */
export function userTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}
