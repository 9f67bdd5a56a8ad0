import { msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { html, nothing } from 'lit';
import { asProblem } from '../../api/problem.ts';
import { formatDateTime } from '../../i18n/locale.ts';
import { publishingFieldText, publishingText } from '../../i18n/problems.ts';
import { View, states } from '../base.ts';
import { field, submitButton } from '../field.ts';
import { empty, heading, taskView } from '../states.ts';
import { notify } from '../toast.ts';
import { publishing, type Bot, type Channel } from './api.ts';
import { confirmDialog } from './confirm.ts';

/** One managed channel's row of bot rights, loaded on its own (one getChatMember per bot). */
class ChannelBotRights extends View {
  static override properties = { channel: { attribute: false } };
  declare channel: Channel | undefined;

  private readonly rights = new Task(this, {
    task: async ([id]: readonly [string | undefined]) => (id === undefined ? [] : publishing.channelBots(id)),
    args: () => [this.channel?.id] as const,
  });

  override render() {
    return html`<p class="pub-card-title">${this.channel?.title ?? ''}</p>
      ${taskView(
        this.rights,
        (bots) =>
          html`<ul class="rights-list">
            ${bots.map(
              (bot) =>
                html`<li data-testid="bot-right">
                  <span>@${bot.username}</span>
                  <wa-badge variant=${bot.canPost ? 'success' : 'neutral'} pill
                    >${
                      bot.canPost
                        ? msg('May post', { id: 'bot.can-post' })
                        : msg('May not post', { id: 'bot.cannot-post' })
                    }</wa-badge
                  >
                </li>`,
            )}
          </ul>`,
        { rows: 1 },
      )}`;
  }
}
customElements.define('cf-channel-bot-rights', ChannelBotRights);

/**
 * Bots: add one by its token (a password field; the token is sent once and never shown again), list, rename,
 * remove (a designed confirm dialog); for each managed channel, whether each bot may post there.
 */
export class BotsPage extends View {
  static override properties = states(
    'token',
    'name',
    'adding',
    'errors',
    'formError',
    'removing',
    'renaming',
    'newName',
    'busy',
    'dialogError',
  );
  declare token: string;
  declare name: string;
  declare adding: boolean;
  declare errors: Record<string, string>;
  declare formError: string | undefined;
  declare removing: Bot | undefined;
  declare renaming: Bot | undefined;
  declare newName: string;
  declare busy: boolean;
  declare dialogError: string | undefined;

  private readonly data = new Task(this, {
    task: async () => {
      const [bots, channels] = await Promise.all([publishing.bots(), publishing.channels()]);
      return { bots, channels };
    },
    args: () => [] as const,
  });

  constructor() {
    super();
    this.token = '';
    this.name = '';
    this.adding = false;
    this.errors = {};
    this.newName = '';
    this.busy = false;
  }

  private async add(event: Event): Promise<void> {
    event.preventDefault();
    this.adding = true;
    this.errors = {};
    this.formError = undefined;
    try {
      const bot = await publishing.addBot(this.token.trim(), this.name.trim() || undefined);
      this.token = '';
      this.name = '';
      notify(msg(str`@${bot.username} is added.`, { id: 'bot.added' }));
      void this.data.run();
    } catch (error) {
      const problem = asProblem(error);
      const errors: Record<string, string> = {};
      for (const entry of problem.fields) errors[entry.field] = publishingFieldText(entry.field);
      if (problem.type === 'token-invalid') errors['token'] = publishingFieldText('token');
      this.errors = errors;
      if (Object.keys(errors).length === 0) this.formError = publishingText(problem, 'bot');
      // The token never stays in the page after a refusal either.
      this.token = '';
      requestAnimationFrame(() => this.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
    } finally {
      this.adding = false;
    }
  }

  private async dialogAction(run: () => Promise<unknown>, done: string): Promise<void> {
    this.busy = true;
    this.dialogError = undefined;
    try {
      await run();
      notify(done);
      this.removing = undefined;
      this.renaming = undefined;
      void this.data.run();
    } catch (error) {
      this.dialogError = publishingText(asProblem(error), 'bot');
    } finally {
      this.busy = false;
    }
  }

  private form() {
    return html`<form class="pub-form" @submit=${this.add} novalidate data-testid="add-bot">
      <h2>${msg('Add a bot', { id: 'bot.add-title' })}</h2>
      ${field({
        id: 'token',
        label: msg('Bot token', { id: 'bot.token' }),
        type: 'password',
        value: this.token,
        autocomplete: 'off',
        error: this.errors['token'],
        hint: msg('From @BotFather. It is stored encrypted and never shown again.', { id: 'bot.token-hint' }),
        onInput: (event) => (this.token = (event.target as HTMLInputElement).value),
      })}
      ${field({
        id: 'bot-name',
        label: msg('Name (optional)', { id: 'bot.name' }),
        value: this.name,
        required: false,
        maxlength: 64,
        error: this.errors['name'],
        onInput: (event) => (this.name = (event.target as HTMLInputElement).value),
      })}
      ${
        this.formError !== undefined
          ? html`<wa-callout variant="danger" role="alert" data-testid="error">
              <wa-icon slot="icon" name="circle-alert"></wa-icon>${this.formError}
            </wa-callout>`
          : nothing
      }
      ${submitButton(msg('Add bot', { id: 'bot.add' }), this.adding)}
    </form>`;
  }

  private card(bot: Bot) {
    return html`<li class="pub-card" data-testid="bot">
      <div class="pub-card-body">
        <p class="pub-card-title">${bot.name}</p>
        <p class="pub-card-meta">
          <span>@${bot.username}</span>
          <span>${msg(str`Since ${formatDateTime(bot.createdAt)}`, { id: 'acc.since' })}</span>
        </p>
      </div>
      <div class="pub-card-actions">
        <wa-button
          size="s"
          appearance="outlined"
          @click=${() => {
            this.renaming = bot;
            this.newName = bot.name;
          }}
        >
          <wa-icon slot="start" name="pencil"></wa-icon>${msg('Rename', { id: 'bot.rename' })}
          <span class="visually-hidden">${bot.name}</span>
        </wa-button>
        <wa-button size="s" variant="danger" appearance="outlined" @click=${() => (this.removing = bot)}>
          <wa-icon slot="start" name="trash-2"></wa-icon>${msg('Remove', { id: 'bot.remove' })}
          <span class="visually-hidden">${bot.name}</span>
        </wa-button>
      </div>
    </li>`;
  }

  private renameDialog() {
    const bot = this.renaming;
    return html`<wa-dialog
      label=${msg('Rename the bot', { id: 'bot.rename-title' })}
      ?open=${bot !== undefined}
      @wa-after-hide=${(event: Event) => {
        if (event.target === event.currentTarget) {
          this.renaming = undefined;
          this.dialogError = undefined;
        }
      }}
    >
      <form
        id="rename-form"
        novalidate
        @submit=${(event: Event) => {
          event.preventDefault();
          if (bot !== undefined)
            void this.dialogAction(
              () => publishing.renameBot(bot.id, this.newName.trim()),
              msg('The bot is renamed.', { id: 'bot.renamed' }),
            );
        }}
      >
        ${field({
          id: 'new-name',
          label: msg('Name', { id: 'bot.new-name' }),
          value: this.newName,
          maxlength: 64,
          error: this.dialogError,
          onInput: (event) => (this.newName = (event.target as HTMLInputElement).value),
        })}
      </form>
      <div slot="footer" class="dialog-actions">
        <wa-button appearance="outlined" @click=${() => (this.renaming = undefined)}
          >${msg('Cancel', { id: 'bot.cancel' })}</wa-button
        >
        <button type="submit" form="rename-form" class="wa-brand" ?disabled=${this.busy}>
          ${msg('Save', { id: 'bot.save' })}
        </button>
      </div>
    </wa-dialog>`;
  }

  override render() {
    const removing = this.removing;
    return html`${heading(
      msg('Bots', { id: 'route.bots' }),
      msg('Bots publish to your channels in their own name.', { id: 'bot.subtitle' }),
    )}
    ${this.form()} ${taskView(this.data, (value) => this.lists(value), { rows: 2, keep: true })}
    ${confirmDialog({
      open: removing !== undefined,
      label: msg(str`Remove ${removing?.name ?? ''}?`, { id: 'bot.confirm-title' }),
      body: msg('Its token is deleted. Posts waiting to go out through this bot will fail.', {
        id: 'bot.confirm-body',
      }),
      confirm: msg('Remove', { id: 'bot.remove' }),
      busy: this.busy,
      error: this.removing !== undefined ? this.dialogError : undefined,
      onConfirm: () => {
        if (removing !== undefined)
          void this.dialogAction(
            () => publishing.removeBot(removing.id),
            msg(str`${removing.name} is removed.`, { id: 'bot.removed' }),
          );
      },
      onClose: () => {
        this.removing = undefined;
        this.dialogError = undefined;
      },
    })}
    ${this.renameDialog()}`;
  }

  private lists({ bots, channels }: { bots: Bot[]; channels: Channel[] }) {
    if (bots.length === 0)
      return empty('bot', msg('No bot yet. Add one with the token @BotFather gave you.', { id: 'bot.empty' }));
    return html`<h2>${msg('Your bots', { id: 'bot.list' })}</h2>
      <ul class="pub-list">
        ${bots.map((bot) => this.card(bot))}
      </ul>
      <h2>${msg('Who may post where', { id: 'bot.rights' })}</h2>
      ${
        channels.length === 0
          ? html`<p class="hint">
              ${msg('Manage a channel to see whether your bots may post there.', { id: 'bot.rights-none' })}
            </p>`
          : html`<ul class="pub-list">
              ${channels.map(
                (channel) =>
                  html`<li class="pub-card pub-card-column">
                    <cf-channel-bot-rights .channel=${channel}></cf-channel-bot-rights>
                  </li>`,
              )}
            </ul>`
      }`;
  }
}
customElements.define('cf-bots-page', BotsPage);
