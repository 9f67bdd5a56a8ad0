import { msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { html, nothing } from 'lit';
import { formatDateTime, formatNumber, formatPhone, phonesReady } from '../../i18n/locale.ts';
import { publishingText } from '../../i18n/problems.ts';
import { routes } from '../../routes.ts';
import { accountName, telegram, type TelegramAccount } from '../../telegram.ts';
import { View, states } from '../base.ts';
import { empty, heading, taskView } from '../states.ts';
import { notify } from '../toast.ts';
import { asProblem } from '../../api/problem.ts';
import { publishing, type AvailableChat, type Channel } from './api.ts';
import { channelState } from './words.ts';

/**
 * Channels: per connected account, the chats where it may post (asked from Telegram on demand) and the ones
 * the user manages, with their title, members and rights (a channel whose rights were removed says so).
 */
export class ChannelsPage extends View {
  static override properties = states('finding', 'busy', 'actionError');
  /** The account whose available chats are shown. */
  declare finding: string | undefined;
  /** The chat or channel id being managed, refreshed or removed. */
  declare busy: string | undefined;
  declare actionError: string | undefined;

  private readonly data = new Task(this, {
    task: async () => {
      const [accounts, channels] = await Promise.all([telegram.accounts(), publishing.channels(), phonesReady]);
      return { accounts, channels };
    },
    args: () => [] as const,
  });

  private readonly available = new Task(this, {
    task: async ([accountId]: readonly [string | undefined]) =>
      accountId === undefined ? ([] as AvailableChat[]) : publishing.available(accountId),
    args: () => [this.finding] as const,
  });

  private async act(key: string, run: () => Promise<unknown>, done: string, context: 'channel' = 'channel') {
    this.busy = key;
    this.actionError = undefined;
    try {
      await run();
      notify(done);
      await this.data.run();
      if (this.finding !== undefined) await this.available.run();
    } catch (error) {
      this.actionError = publishingText(asProblem(error), context);
    } finally {
      this.busy = undefined;
    }
  }

  private availableList(account: TelegramAccount) {
    if (this.finding !== account.id) return nothing;
    return taskView(
      this.available,
      (chats: AvailableChat[]) =>
        chats.length === 0
          ? empty('inbox', msg('This account runs no channel or group where it may post.', { id: 'ch.none-available' }))
          : html`<ul class="pub-list" data-testid="available">
              ${chats.map(
                (chat) =>
                  html`<li class="pub-card" data-testid="available-chat">
                    <div class="pub-card-body">
                      <p class="pub-card-title">${chat.title}</p>
                      <p class="pub-card-meta">
                        ${chat.username ? html`<span>@${chat.username}</span>` : nothing}
                        <span
                          >${chat.kind === 'channel' ? msg('Channel', { id: 'ch.kind-channel' }) : msg('Group', { id: 'ch.kind-group' })}</span
                        >
                        ${chat.memberCount !== null ? html`<span>${msg(str`${formatNumber(chat.memberCount)} members`, { id: 'ch.members' })}</span>` : nothing}
                      </p>
                    </div>
                    ${
                      chat.managed
                        ? html`<wa-badge variant="success" pill>${msg('Managed', { id: 'ch.managed' })}</wa-badge>`
                        : html`<wa-button
                            size="s"
                            variant="brand"
                            ?loading=${this.busy === chat.telegramChatId}
                            @click=${() =>
                              this.act(
                                chat.telegramChatId,
                                () => publishing.manage(account.id, chat.telegramChatId),
                                msg(str`${chat.title} is managed now.`, { id: 'ch.managed-toast' }),
                              )}
                          >
                            <wa-icon slot="start" name="plus"></wa-icon>${msg('Manage', { id: 'ch.manage' })}
                            <span class="visually-hidden">${chat.title}</span>
                          </wa-button>`
                    }
                  </li>`,
              )}
            </ul>`,
      { rows: 2 },
    );
  }

  private channelCard(channel: Channel) {
    const state = channelState(channel.state);
    return html`<li class="pub-card" data-testid="channel">
      <div class="pub-card-body">
        <p class="pub-card-title">${channel.title}</p>
        <p class="pub-card-meta">
          ${channel.username ? html`<a href="https://t.me/${channel.username}" target="_blank" rel="noopener noreferrer">@${channel.username}</a>` : nothing}
          ${channel.memberCount !== null ? html`<span>${msg(str`${formatNumber(channel.memberCount)} members`, { id: 'ch.members' })}</span>` : nothing}
          <span>${msg(str`Checked ${formatDateTime(channel.refreshedAt)}`, { id: 'ch.refreshed' })}</span>
        </p>
      </div>
      <wa-badge variant=${state.variant} pill data-testid="channel-state">${state.text}</wa-badge>
      <div class="pub-card-actions">
        ${this.channelAction(channel, {
          icon: 'refresh-cw',
          label: msg('Refresh', { id: 'ch.refresh' }),
          run: () => publishing.refresh(channel.id),
          done: msg(str`${channel.title} is up to date.`, { id: 'ch.refreshed-toast' }),
        })}
        ${this.channelAction(channel, {
          icon: 'trash-2',
          label: msg('Stop managing', { id: 'ch.unmanage' }),
          danger: true,
          run: () => publishing.unmanage(channel.id),
          done: msg(str`${channel.title} is no longer managed.`, { id: 'ch.unmanaged-toast' }),
        })}
      </div>
    </li>`;
  }

  /**
   * A button on a channel's card naming the channel for screen readers. While a request for this channel is
   * under way, a safe action spins and a dangerous one (red) is disabled, so it cannot be sent twice.
   */
  private channelAction(
    channel: Channel,
    action: { icon: string; label: string; danger?: boolean; run: () => Promise<unknown>; done: string },
  ) {
    const busy = this.busy === channel.id;
    return html`<wa-button
      size="s"
      variant=${action.danger ? 'danger' : nothing}
      appearance="outlined"
      ?loading=${!action.danger && busy}
      ?disabled=${action.danger === true && busy}
      @click=${() => this.act(channel.id, action.run, action.done)}
    >
      <wa-icon slot="start" name=${action.icon}></wa-icon>${action.label}
      <span class="visually-hidden">${channel.title}</span>
    </wa-button>`;
  }

  private accountSection(account: TelegramAccount, channels: Channel[]) {
    const name = accountName(account, formatPhone);
    const mine = channels.filter((channel) => channel.accountId === account.id);
    return html`<section class="pub-section" data-testid="account-channels">
      <div class="pub-section-header">
        <h2>${name}</h2>
        <wa-button
          size="s"
          appearance="outlined"
          ?disabled=${account.state !== 'connected'}
          @click=${() => {
            // A new account's chats load as `finding` changes (the task's args); the same account's again on demand.
            if (this.finding === account.id) void this.available.run();
            else this.finding = account.id;
          }}
        >
          <wa-icon slot="start" name="search"></wa-icon>${msg('Find channels', { id: 'ch.find' })}
          <span class="visually-hidden">${name}</span>
        </wa-button>
      </div>
      ${this.availableList(account)}
      ${
        mine.length === 0
          ? html`<p class="hint">
              ${msg('No managed channel for this account yet. Find its channels and pick the ones to manage.', { id: 'ch.none-managed' })}
            </p>`
          : html`<ul class="pub-list">
              ${mine.map((channel) => this.channelCard(channel))}
            </ul>`
      }
    </section>`;
  }

  override render() {
    return html`${heading(
      msg('Channels', { id: 'route.channels' }),
      msg('The channels and groups you publish to, per connected account.', { id: 'ch.subtitle' }),
    )}
    ${
      this.actionError !== undefined
        ? html`<wa-callout variant="danger" role="alert" data-testid="action-error">
            <wa-icon slot="icon" name="circle-alert"></wa-icon>${this.actionError}
          </wa-callout>`
        : nothing
    }
    ${taskView(this.data, (value) => this.sections(value), { rows: 3, keep: true })}`;
  }

  private sections({ accounts, channels }: { accounts: TelegramAccount[]; channels: Channel[] }) {
    if (accounts.length === 0)
      return empty(
        'inbox',
        msg('Connect a Telegram account first: channels are managed through it.', { id: 'ch.no-account' }),
        html`<wa-button variant="brand" href=${routes.accounts.path}>
          <wa-icon slot="start" name="users"></wa-icon>${msg('Telegram accounts', { id: 'route.accounts' })}
        </wa-button>`,
      );
    return html`${accounts.map((account) => this.accountSection(account, channels))}`;
  }
}
customElements.define('cf-channels-page', ChannelsPage);
