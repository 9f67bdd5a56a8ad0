import { msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { html, nothing } from 'lit';
import { ApiProblem, asProblem } from '../../api/problem.ts';
import { formatDateTime, formatPhone } from '../../i18n/locale.ts';
import { publishingFieldText, publishingText } from '../../i18n/problems.ts';
import { routes } from '../../routes.ts';
import { accountName, telegram, type TelegramAccount } from '../../telegram.ts';
import { View } from '../base.ts';
import { submitButton } from '../field.ts';
import { empty, failure, heading, loading } from '../states.ts';
import { notify } from '../toast.ts';
import { publishing, type Bot, type Channel, type Post, type PostInput, type Target } from './api.ts';
import { confirmDialog } from './confirm.ts';
import { parseMarkup, preview, toMarkup } from './text-format.ts';
import { failureText, targetState, userTimeZone } from './words.ts';

/** Telegram's album size and the service's per-image limit (integration-service posts.ts). */
const MAX_IMAGES = 10;
const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
type ImageType = (typeof IMAGE_TYPES)[number];
/** While something is still to be sent, the list is read again this often (stops when nothing is pending). */
const POLL_MS = 2000;

interface Upload {
  name: string;
  id: string | undefined;
  error: string | undefined;
}

/** How a target is chosen in the composer: `account`, or a bot's id. */
type Via = string;

function base64Of(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/u, ''));
    reader.onerror = () => reject(reader.error ?? new Error('unreadable file'));
    reader.readAsDataURL(file);
  });
}

/** A `datetime-local` value (the user's wall clock) as an ISO instant. */
function instantOf(local: string): string | undefined {
  const at = new Date(local);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

function localValue(iso: string): string {
  const at = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
}

/**
 * Posts: a composer (Telegram formatting with a live preview built from templates, images as an album,
 * silent flag, targets each sent as the channel's account or via a bot, now or at a time in the user's zone)
 * and the list of scheduled and sent posts with each target's state, its t.me link, edit/cancel and retry.
 */
export class PostsPage extends View {
  static override properties = {
    source: { state: true },
    silent: { state: true },
    when: { state: true },
    at: { state: true },
    chosen: { state: true },
    uploads: { state: true },
    sending: { state: true },
    errors: { state: true },
    formError: { state: true },
    editing: { state: true },
    cancelling: { state: true },
    busy: { state: true },
    dialogError: { state: true },
  };
  declare source: string;
  declare silent: boolean;
  declare when: 'now' | 'later';
  declare at: string;
  /** Channel id → how it is sent. */
  declare chosen: Map<string, Via>;
  declare uploads: Upload[];
  declare sending: boolean;
  declare errors: Record<string, string>;
  declare formError: string | undefined;
  declare editing: Post | undefined;
  declare cancelling: Post | undefined;
  declare busy: string | undefined;
  declare dialogError: string | undefined;
  private poll: ReturnType<typeof setTimeout> | undefined;

  private readonly options = new Task(this, {
    task: async () => {
      const [channels, bots, accounts] = await Promise.all([
        publishing.channels(),
        publishing.bots(),
        telegram.accounts(),
      ]);
      return { channels, bots, accounts };
    },
    args: () => [] as const,
  });

  private readonly posts = new Task(this, {
    task: async () => publishing.posts(),
    args: () => [] as const,
    onComplete: (posts) => this.schedulePoll(posts),
  });

  constructor() {
    super();
    this.source = '';
    this.silent = false;
    this.when = 'now';
    this.at = '';
    this.chosen = new Map();
    this.uploads = [];
    this.sending = false;
    this.errors = {};
    this.formError = undefined;
    this.editing = undefined;
    this.cancelling = undefined;
    this.busy = undefined;
    this.dialogError = undefined;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.poll);
    this.poll = undefined;
  }

  private schedulePoll(posts: Post[]): void {
    clearTimeout(this.poll);
    const pending = posts.some((post) =>
      post.targets.some((target) => target.state === 'scheduled' || target.state === 'sending'),
    );
    if (pending && this.isConnected) this.poll = setTimeout(() => void this.posts.run(), POLL_MS);
  }

  private async addImages(event: Event): Promise<void> {
    const input = event.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    input.value = '';
    const room = MAX_IMAGES - this.uploads.length;
    if (files.length > room) this.errors = { ...this.errors, images: publishingText(new ApiProblem(413), 'post') };
    for (const file of files.slice(0, Math.max(0, room))) {
      const upload: Upload = { name: file.name, id: undefined, error: undefined };
      this.uploads = [...this.uploads, upload];
      try {
        const type = (IMAGE_TYPES as readonly string[]).includes(file.type) ? (file.type as ImageType) : 'image/jpeg';
        upload.id = (await publishing.uploadImage(type, await base64Of(file))).id;
      } catch (error) {
        upload.error = publishingText(asProblem(error), 'image');
      }
      this.uploads = [...this.uploads];
    }
  }

  private reset(): void {
    this.source = '';
    this.silent = false;
    this.when = 'now';
    this.at = '';
    this.chosen = new Map();
    this.uploads = [];
    this.editing = undefined;
    this.errors = {};
    this.formError = undefined;
  }

  private async submit(event: Event): Promise<void> {
    event.preventDefault();
    const { text, entities } = parseMarkup(this.source);
    const errors: Record<string, string> = {};
    const scheduledAt = this.when === 'later' ? instantOf(this.at) : undefined;
    if (this.when === 'later' && scheduledAt === undefined) errors['scheduledAt'] = publishingFieldText('scheduledAt');
    if (this.editing === undefined && this.chosen.size === 0) errors['targets'] = publishingFieldText('targets');
    if (text.trim() === '' && this.uploads.length === 0)
      errors['text'] = msg('Write something or add an image.', { id: 'post.empty-text' });
    this.errors = errors;
    this.formError = undefined;
    if (Object.keys(errors).length > 0) {
      requestAnimationFrame(() => this.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
      return;
    }
    const content = {
      text,
      entities,
      silent: this.silent,
      ...(scheduledAt !== undefined ? { scheduledAt, timeZone: userTimeZone() } : {}),
    };
    this.sending = true;
    try {
      if (this.editing !== undefined) {
        await publishing.editPost(this.editing.id, content);
        notify(msg('The post is changed.', { id: 'post.edited' }));
      } else {
        const body: PostInput = {
          ...content,
          imageIds: this.uploads.flatMap((upload) => (upload.id !== undefined ? [upload.id] : [])),
          targets: [...this.chosen].map(([channelId, via]) =>
            via === 'account' ? { channelId, via: 'account' as const } : { channelId, via: 'bot' as const, botId: via },
          ),
        };
        await publishing.createPost(body);
        notify(
          scheduledAt !== undefined
            ? msg(str`The post is scheduled for ${formatDateTime(scheduledAt)}.`, { id: 'post.scheduled' })
            : msg('The post is on its way.', { id: 'post.sent-now' }),
        );
      }
      this.reset();
      void this.posts.run();
    } catch (error) {
      const problem = asProblem(error);
      // Errors shown at a field of this form; a link's error (entities) belongs to the text it is written in.
      const shown: Record<string, string> = {
        text: 'text',
        entities: 'text',
        targets: 'targets',
        scheduledAt: 'scheduledAt',
      };
      const fields: Record<string, string> = {};
      let unplaced = problem.fields.length === 0;
      for (const entry of problem.fields) {
        const key = shown[entry.field.split('.')[0] ?? ''];
        if (key === undefined) unplaced = true;
        else fields[key] ??= publishingFieldText(entry.field);
      }
      this.errors = fields;
      if (unplaced) this.formError = publishingText(problem, 'post');
    } finally {
      this.sending = false;
    }
  }

  private edit(post: Post): void {
    this.editing = post;
    this.source = toMarkup(post.text, post.entities);
    this.silent = post.silent;
    this.when = 'later';
    this.at = localValue(post.scheduledAt);
    this.errors = {};
    requestAnimationFrame(() => this.querySelector<HTMLElement>('#post-text')?.focus());
  }

  /** Wraps the selection in the textarea with a markup pair (toolbar buttons). */
  private wrap(before: string, after: string): void {
    const area = this.querySelector<HTMLTextAreaElement>('#post-text');
    if (area === null) return;
    const { selectionStart: start, selectionEnd: end, value } = area;
    const selected = value.slice(start, end) || msg('text', { id: 'post.placeholder-word' });
    this.source = value.slice(0, start) + before + selected + after + value.slice(end);
    area.value = this.source;
    area.focus();
    area.setSelectionRange(start + before.length, start + before.length + selected.length);
  }

  private fieldError(id: string) {
    const error = this.errors[id];
    return html`<p class="field-error" id="${id}-error">
      ${error ? html`<wa-icon name="circle-alert" aria-hidden="true"></wa-icon> ${error}` : nothing}
    </p>`;
  }

  private toolbar() {
    const button = (icon: string, label: string, before: string, after: string) =>
      html`<button
        type="button"
        class="wa-plain icon-button"
        title=${label}
        aria-label=${label}
        @click=${() => this.wrap(before, after)}
      >
        <wa-icon name=${icon} aria-hidden="true"></wa-icon>
      </button>`;
    return html`<div class="format-toolbar" role="toolbar" aria-label=${msg('Formatting', { id: 'post.formatting' })}>
      ${button('bold', msg('Bold', { id: 'post.bold' }), '**', '**')}
      ${button('italic', msg('Italic', { id: 'post.italic' }), '__', '__')}
      ${button('code', msg('Code', { id: 'post.code' }), '`', '`')}
      ${button('link', msg('Link', { id: 'post.link' }), '[', '](https://)')}
    </div>`;
  }

  private targetsField(channels: Channel[], bots: Bot[], accounts: TelegramAccount[]) {
    if (this.editing !== undefined) return nothing;
    const usable = channels.filter((channel) => channel.state === 'ok');
    const invalid = this.errors['targets'] !== undefined;
    return html`<fieldset class="targets" aria-invalid=${invalid ? 'true' : 'false'} aria-describedby="targets-error">
      <legend>${msg('Publish to', { id: 'post.targets' })}</legend>
      ${
        usable.length === 0
          ? html`<p class="hint">
              ${msg('No channel to publish to yet.', { id: 'post.no-channels' })}
              <a href=${routes.channels.path}>${msg('Manage a channel', { id: 'post.go-channels' })}</a>
            </p>`
          : usable.map((channel) => {
              const account = accounts.find((candidate) => candidate.id === channel.accountId);
              const via = this.chosen.get(channel.id);
              const checkboxId = `target-${channel.id}`;
              return html`<div class="target-row" data-testid="target">
                <label class="checkbox" for=${checkboxId}>
                  <input
                    type="checkbox"
                    id=${checkboxId}
                    .checked=${via !== undefined}
                    @change=${(event: Event) => {
                      const next = new Map(this.chosen);
                      if ((event.target as HTMLInputElement).checked) next.set(channel.id, 'account');
                      else next.delete(channel.id);
                      this.chosen = next;
                    }}
                  />
                  ${channel.title}
                </label>
                <select
                  aria-label=${msg(str`How to send to ${channel.title}`, { id: 'post.via-label' })}
                  ?disabled=${via === undefined}
                  @change=${(event: Event) => {
                    this.chosen = new Map(this.chosen).set(channel.id, (event.target as HTMLSelectElement).value);
                  }}
                >
                  <option value="account" ?selected=${via === 'account'}>
                    ${
                      account !== undefined
                        ? msg(str`As ${accountName(account, formatPhone)}`, { id: 'post.as-account' })
                        : msg('As the account', { id: 'post.the-account' })
                    }
                  </option>
                  ${bots.map(
                    (bot) =>
                      html`<option value=${bot.id} ?selected=${via === bot.id}>
                        ${msg(str`Via @${bot.username}`, { id: 'post.via-bot' })}
                      </option>`,
                  )}
                </select>
              </div>`;
            })
      }
      ${this.fieldError('targets')}
    </fieldset>`;
  }

  private composer(channels: Channel[], bots: Bot[], accounts: TelegramAccount[]) {
    const { text, entities } = parseMarkup(this.source);
    const zone = userTimeZone();
    return html`<form class="pub-form composer" novalidate @submit=${this.submit} data-testid="composer">
      <h2>
        ${this.editing !== undefined ? msg('Edit the post', { id: 'post.edit-title' }) : msg('New post', { id: 'post.new-title' })}
      </h2>
      <div class="field ${this.errors['text'] ? 'invalid' : ''}">
        <label for="post-text">${msg('Text', { id: 'post.text' })}</label>
        ${this.toolbar()}
        <textarea
          id="post-text"
          rows="6"
          maxlength="5000"
          .value=${this.source}
          aria-invalid=${this.errors['text'] ? 'true' : 'false'}
          aria-describedby="post-text-hint text-error"
          @input=${(event: Event) => (this.source = (event.target as HTMLTextAreaElement).value)}
        ></textarea>
        <p class="hint" id="post-text-hint">
          ${msg('**bold**, __italic__, `code`, [link](https://example.org)', { id: 'post.markup-hint' })}
        </p>
        ${this.fieldError('text')}
      </div>
      <section class="preview" aria-label=${msg('Preview', { id: 'post.preview' })}>
        <p class="preview-label">${msg('Preview', { id: 'post.preview' })}</p>
        <div class="preview-bubble" data-testid="preview">${preview(text, entities)}</div>
      </section>
      ${
        this.editing === undefined
          ? html`<div class="field">
              <label for="post-images"
                >${msg('Images (up to 10, 10 MB each; several make an album)', { id: 'post.images' })}</label
              >
              <input
                id="post-images"
                type="file"
                accept=${IMAGE_TYPES.join(',')}
                multiple
                ?disabled=${this.uploads.length >= MAX_IMAGES}
                aria-describedby="images-error"
                @change=${this.addImages}
              />
              <ul class="uploads">
                ${this.uploads.map(
                  (upload, index) =>
                    html`<li data-testid="upload">
                      <wa-icon
                        name=${upload.error ? 'circle-alert' : upload.id ? 'image' : 'loader'}
                        aria-hidden="true"
                      ></wa-icon>
                      <span class="upload-name">${upload.name}</span>
                      ${upload.error ? html`<span class="field-error" role="alert" data-testid="upload-error">${upload.error}</span>` : nothing}
                      <button
                        type="button"
                        class="wa-plain icon-button"
                        aria-label=${msg(str`Remove ${upload.name}`, { id: 'post.remove-image' })}
                        @click=${() => (this.uploads = this.uploads.filter((_, at) => at !== index))}
                      >
                        <wa-icon name="xmark" aria-hidden="true"></wa-icon>
                      </button>
                    </li>`,
                )}
              </ul>
              ${this.fieldError('images')}
            </div>`
          : nothing
      }
      ${this.targetsField(channels, bots, accounts)}
      <label class="checkbox">
        <input
          type="checkbox"
          .checked=${this.silent}
          @change=${(event: Event) => (this.silent = (event.target as HTMLInputElement).checked)}
        />
        ${msg('Send silently (no notification sound)', { id: 'post.silent' })}
      </label>
      <fieldset class="when">
        <legend>${msg('When', { id: 'post.when' })}</legend>
        <label class="checkbox">
          <input
            type="radio"
            name="when"
            value="now"
            .checked=${this.when === 'now'}
            @change=${() => (this.when = 'now')}
          />
          ${msg('Publish now', { id: 'post.now' })}
        </label>
        <label class="checkbox">
          <input
            type="radio"
            name="when"
            value="later"
            .checked=${this.when === 'later'}
            @change=${() => (this.when = 'later')}
          />
          ${msg('Schedule', { id: 'post.later' })}
        </label>
        ${
          this.when === 'later'
            ? html`<div class="field ${this.errors['scheduledAt'] ? 'invalid' : ''}">
                <label for="post-at">${msg(str`Time (${zone})`, { id: 'post.at' })}</label>
                <input
                  id="post-at"
                  type="datetime-local"
                  step="1"
                  .value=${this.at}
                  aria-invalid=${this.errors['scheduledAt'] ? 'true' : 'false'}
                  aria-describedby="scheduledAt-error"
                  @input=${(event: Event) => (this.at = (event.target as HTMLInputElement).value)}
                />
                ${this.fieldError('scheduledAt')}
              </div>`
            : nothing
        }
      </fieldset>
      ${
        this.formError !== undefined
          ? html`<wa-callout variant="danger" role="alert" data-testid="error">
              <wa-icon slot="icon" name="circle-alert"></wa-icon>${this.formError}
            </wa-callout>`
          : nothing
      }
      <div class="actions">
        ${submitButton(
          this.editing !== undefined
            ? msg('Save changes', { id: 'post.save' })
            : this.when === 'later'
              ? msg('Schedule post', { id: 'post.schedule' })
              : msg('Publish now', { id: 'post.now' }),
          this.sending || this.uploads.some((upload) => upload.id === undefined && upload.error === undefined),
        )}
        ${
          this.editing !== undefined
            ? html`<wa-button appearance="outlined" @click=${() => this.reset()}
                >${msg('Cancel', { id: 'bot.cancel' })}</wa-button
              >`
            : nothing
        }
      </div>
    </form>`;
  }

  private async retry(post: Post, target: Target): Promise<void> {
    this.busy = target.id;
    try {
      await publishing.retryTarget(post.id, target.id);
      notify(msg('Sending again.', { id: 'post.retrying' }));
      void this.posts.run();
    } catch (error) {
      notify(publishingText(asProblem(error), 'target'), 'danger');
    } finally {
      this.busy = undefined;
    }
  }

  private targetRow(post: Post, target: Target, channels: Channel[], bots: Bot[]) {
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
              ?loading=${this.busy === target.id}
              @click=${() => this.retry(post, target)}
            >
              <wa-icon slot="start" name="refresh-cw"></wa-icon>${msg('Retry', { id: 'state.retry' })}
            </wa-button>`
          : nothing
      }
    </li>`;
  }

  private postCard(post: Post, channels: Channel[], bots: Bot[]) {
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
        ${post.targets.map((target) => this.targetRow(post, target, channels, bots))}
      </ul>
      ${
        open
          ? html`<div class="pub-card-actions">
              <wa-button size="s" appearance="outlined" @click=${() => this.edit(post)}>
                <wa-icon slot="start" name="pencil"></wa-icon>${msg('Edit', { id: 'post.edit' })}
              </wa-button>
              <wa-button size="s" variant="danger" appearance="outlined" @click=${() => (this.cancelling = post)}>
                <wa-icon slot="start" name="xmark"></wa-icon>${msg('Cancel post', { id: 'post.cancel' })}
              </wa-button>
            </div>`
          : nothing
      }
    </li>`;
  }

  private list(posts: Post[], channels: Channel[], bots: Bot[]) {
    const visible = posts.filter((post) => post.targets.some((target) => target.state !== 'cancelled'));
    if (visible.length === 0)
      return empty(
        'send',
        msg('No post yet. Write one above and publish it now or at a time you choose.', { id: 'post.empty' }),
      );
    return html`<ul class="pub-list" data-testid="posts">
      ${visible.map((post) => this.postCard(post, channels, bots))}
    </ul>`;
  }

  private async cancel(): Promise<void> {
    const post = this.cancelling;
    if (post === undefined) return;
    this.busy = post.id;
    this.dialogError = undefined;
    try {
      await publishing.cancelPost(post.id);
      this.cancelling = undefined;
      notify(msg('The post is cancelled.', { id: 'post.cancelled' }));
      void this.posts.run();
    } catch (error) {
      this.dialogError = publishingText(asProblem(error), 'post');
    } finally {
      this.busy = undefined;
    }
  }

  override render() {
    const options = this.options.value;
    return html`${heading(
        msg('Posts', { id: 'route.posts' }),
        msg(str`Compose, schedule and follow your posts. Times are in ${userTimeZone()}.`, { id: 'post.subtitle' }),
      )}
      ${this.options.render({
        initial: () => loading(4),
        pending: () => loading(4),
        error: (error) => failure(error, 'load', () => void this.options.run()),
        complete: ({ channels, bots, accounts }) => this.composer(channels, bots, accounts),
      })}
      <h2>${msg('Scheduled and sent', { id: 'post.list' })}</h2>
      ${this.posts.render({
        initial: () => loading(3),
        pending: () =>
          this.posts.value !== undefined && options !== undefined
            ? this.list(this.posts.value, options.channels, options.bots)
            : loading(3),
        error: (error) => failure(error, 'load', () => void this.posts.run()),
        complete: (posts) => (options !== undefined ? this.list(posts, options.channels, options.bots) : loading(3)),
      })}
      ${confirmDialog({
        open: this.cancelling !== undefined,
        label: msg('Cancel this post?', { id: 'post.confirm-title' }),
        body: msg('It will not be sent to any of its channels.', { id: 'post.confirm-body' }),
        confirm: msg('Cancel post', { id: 'post.cancel' }),
        busy: this.busy !== undefined && this.busy === this.cancelling?.id,
        error: this.dialogError,
        onConfirm: () => void this.cancel(),
        onClose: () => {
          this.cancelling = undefined;
          this.dialogError = undefined;
        },
      })}`;
  }
}
customElements.define('cf-posts-page', PostsPage);
