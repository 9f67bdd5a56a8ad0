import { msg, str } from '@lit/localize';
import { html, nothing, type TemplateResult } from 'lit';
import { empty } from '../states.ts';
import type { Bot, Channel, Post, Target } from './api.ts';
import { preview } from './text-format.ts';
import { failureText, targetState, userTimeZone } from './words.ts';

/** What the list's buttons do, and which post or target (by id) has a request under way. */
export interface PostActions {
  busy: string | undefined;
  retry: (post: Post, target: Target) => void;
  edit: (post: Post) => void;
  cancel: (post: Post) => void;
}

/** One target of a post: its channel, how it is sent, its state, its t.me link once sent, Retry when it failed. */
function targetRow(post: Post, target: Target, channels: Channel[], bots: Bot[], actions: PostActions) {
  const channel = channels.find((candidate) => candidate.id === target.channelId);
  const bot = bots.find((candidate) => candidate.id === target.botId);
  const state = targetState(target.state);
  return html`<li class="target-state" data-testid="post-target" data-state=${target.state}>
    <span class="target-channel">${channel?.title ?? msg('Removed channel', { id: 'post.removed-channel' })}</span>
    <span class="target-via"
      >${target.via === 'bot' ? msg(str`via @${bot?.username ?? '…'}`, { id: 'post.via-short' }) : msg('as the account', { id: 'post.as-short' })}</span
    >
    <wa-badge variant=${state.variant} pill>${state.text}</wa-badge>
    ${
      target.link !== null
        ? html`<a href=${target.link} target="_blank" rel="noopener noreferrer" data-testid="post-link">
            <wa-icon name="external-link" aria-hidden="true"></wa-icon>${msg('Open in Telegram', { id: 'post.open' })}
          </a>`
        : nothing
    }
    ${target.failure !== null && target.state !== 'sent' ? html`<span class="hint">${failureText(target.failure)}</span>` : nothing}
    ${
      target.state === 'failed' || target.state === 'unknown'
        ? html`<wa-button
            size="s"
            appearance="outlined"
            ?loading=${actions.busy === target.id}
            @click=${() => actions.retry(post, target)}
          >
            <wa-icon slot="start" name="refresh-cw"></wa-icon>${msg('Retry', { id: 'state.retry' })}
          </wa-button>`
        : nothing
    }
  </li>`;
}

/** A post as a card: when (in the zone it was scheduled in), its text, each target; Edit and Cancel while none has gone. */
function postCard(post: Post, channels: Channel[], bots: Bot[], actions: PostActions) {
  const open = post.targets.every((target) => target.state === 'scheduled');
  const zone = post.timeZone ?? userTimeZone();
  const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone: zone }).format(
    new Date(post.scheduledAt),
  );
  return html`<li class="pub-card pub-card-column" data-testid="post">
    <div class="post-head">
      <span class="pub-card-meta"><wa-icon name="clock" aria-hidden="true"></wa-icon> ${when} (${zone})</span>
      ${post.silent ? html`<wa-badge variant="neutral" pill>${msg('Silent', { id: 'post.silent-badge' })}</wa-badge>` : nothing}
    </div>
    <p class="post-text">${preview(post.text, post.entities)}</p>
    <ul class="target-states">
      ${post.targets.map((target) => targetRow(post, target, channels, bots, actions))}
    </ul>
    ${
      open
        ? html`<div class="pub-card-actions">
            <wa-button size="s" appearance="outlined" @click=${() => actions.edit(post)}>
              <wa-icon slot="start" name="pencil"></wa-icon>${msg('Edit', { id: 'post.edit' })}
            </wa-button>
            <wa-button size="s" variant="danger" appearance="outlined" @click=${() => actions.cancel(post)}>
              <wa-icon slot="start" name="xmark"></wa-icon>${msg('Cancel post', { id: 'post.cancel' })}
            </wa-button>
          </div>`
        : nothing
    }
  </li>`;
}

/** The scheduled and sent posts (a cancelled one is gone), or the empty state pointing at the composer. */
export function postList(posts: Post[], channels: Channel[], bots: Bot[], actions: PostActions): TemplateResult {
  const visible = posts.filter((post) => post.targets.some((target) => target.state !== 'cancelled'));
  if (visible.length === 0)
    return empty(
      'send',
      msg('No post yet. Write one above and publish it now or at a time you choose.', { id: 'post.empty' }),
    );
  return html`<ul class="pub-list" data-testid="posts">
    ${visible.map((post) => postCard(post, channels, bots, actions))}
  </ul>`;
}
