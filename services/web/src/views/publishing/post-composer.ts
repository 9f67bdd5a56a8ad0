import { msg, str } from '@lit/localize';
import { html, nothing } from 'lit';
import { ApiProblem, asProblem } from '../../api/problem.ts';
import { formatDateTime } from '../../i18n/locale.ts';
import { publishingFieldText, publishingText } from '../../i18n/problems.ts';
import type { TelegramAccount } from '../../telegram.ts';
import { View, states } from '../base.ts';
import { field, fieldError, submitButton } from '../field.ts';
import { notify } from '../toast.ts';
import { publishing, type Bot, type Channel, type Post } from './api.ts';
import { formatToolbar, imagesField, targetsField } from './composer-parts.ts';
import {
  MAX_IMAGES,
  base64Of,
  imageType,
  instantOf,
  localValue,
  targetsOf,
  type Upload,
  type Via,
} from './post-draft.ts';
import { parseMarkup, preview, toMarkup } from './text-format.ts';
import { userTimeZone } from './words.ts';

/** Errors shown at a field of this form, by the problem's field; a link's error (entities) belongs to the text. */
const SHOWN_AT: Record<string, string> = {
  text: 'text',
  entities: 'text',
  targets: 'targets',
  scheduledAt: 'scheduledAt',
};

/**
 * The post composer: Telegram formatting with a live preview built from templates, images as an album, silent
 * flag, targets each sent as the channel's account or via a bot, now or at a time in the user's zone. Given a
 * post in `editing`, it edits that post's text, flag and time instead. Fires `cf-composer-done` (bubbling) when
 * a post is saved (`detail.saved` true) or an edit is abandoned (false).
 */
export class PostComposer extends View {
  static override properties = {
    channels: { attribute: false },
    bots: { attribute: false },
    accounts: { attribute: false },
    editing: { attribute: false },
    ...states('source', 'silent', 'when', 'at', 'chosen', 'uploads', 'sending', 'errors', 'formError'),
  };
  declare channels: Channel[];
  declare bots: Bot[];
  declare accounts: TelegramAccount[];
  declare editing: Post | undefined;
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

  constructor() {
    super();
    this.channels = [];
    this.bots = [];
    this.accounts = [];
    this.sending = false;
    this.clear();
  }

  /** An edit begins: the form takes the post's text, flag and time. */
  override willUpdate(changed: Map<string, unknown>): void {
    const post = this.editing;
    if (!changed.has('editing') || post === undefined) return;
    this.source = toMarkup(post.text, post.entities);
    this.silent = post.silent;
    this.when = 'later';
    this.at = localValue(post.scheduledAt);
    this.errors = {};
    requestAnimationFrame(() => this.querySelector<HTMLElement>('#post-text')?.focus());
  }

  private clear(): void {
    this.source = '';
    this.silent = false;
    this.when = 'now';
    this.at = '';
    this.chosen = new Map();
    this.uploads = [];
    this.errors = {};
    this.formError = undefined;
  }

  private done(saved: boolean): void {
    this.clear();
    this.dispatchEvent(new CustomEvent('cf-composer-done', { detail: { saved }, bubbles: true }));
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
        upload.id = (await publishing.uploadImage(imageType(file), await base64Of(file))).id;
      } catch (error) {
        upload.error = publishingText(asProblem(error), 'image');
      }
      this.uploads = [...this.uploads];
    }
  }

  /** What is wrong before asking the server, by field (empty when nothing is). */
  private check(text: string, scheduledAt: string | undefined): Record<string, string> {
    const errors: Record<string, string> = {};
    if (this.when === 'later' && scheduledAt === undefined) errors['scheduledAt'] = publishingFieldText('scheduledAt');
    if (this.editing === undefined && this.chosen.size === 0) errors['targets'] = publishingFieldText('targets');
    if (text.trim() === '' && this.uploads.length === 0)
      errors['text'] = msg('Write something or add an image.', { id: 'post.empty-text' });
    return errors;
  }

  private async submit(event: Event): Promise<void> {
    event.preventDefault();
    const { text, entities } = parseMarkup(this.source);
    const scheduledAt = this.when === 'later' ? instantOf(this.at) : undefined;
    this.errors = this.check(text, scheduledAt);
    this.formError = undefined;
    if (Object.keys(this.errors).length > 0) {
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
        const imageIds = this.uploads.flatMap((upload) => (upload.id !== undefined ? [upload.id] : []));
        await publishing.createPost({ ...content, imageIds, targets: targetsOf(this.chosen) });
        notify(
          scheduledAt !== undefined
            ? msg(str`The post is scheduled for ${formatDateTime(scheduledAt)}.`, { id: 'post.scheduled' })
            : msg('The post is on its way.', { id: 'post.sent-now' }),
        );
      }
      this.done(true);
    } catch (error) {
      this.showProblem(asProblem(error));
    } finally {
      this.sending = false;
    }
  }

  /** The server's refusal: each field's error at its field, the rest (or a problem without fields) above Save. */
  private showProblem(problem: ApiProblem): void {
    const fields: Record<string, string> = {};
    let unplaced = problem.fields.length === 0;
    for (const entry of problem.fields) {
      const key = SHOWN_AT[entry.field.split('.')[0] ?? ''];
      if (key === undefined) unplaced = true;
      else fields[key] ??= publishingFieldText(entry.field);
    }
    this.errors = fields;
    if (unplaced) this.formError = publishingText(problem, 'post');
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

  private textField() {
    const { text, entities } = parseMarkup(this.source);
    return html`<div class="field ${this.errors['text'] ? 'invalid' : ''}">
        <label for="post-text">${msg('Text', { id: 'post.text' })}</label>
        ${formatToolbar((before, after) => this.wrap(before, after))}
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
        ${fieldError('text', this.errors['text'])}
      </div>
      <section class="preview" aria-label=${msg('Preview', { id: 'post.preview' })}>
        <p class="preview-label">${msg('Preview', { id: 'post.preview' })}</p>
        <div class="preview-bubble" data-testid="preview">${preview(text, entities)}</div>
      </section>`;
  }

  private whenField() {
    const choice = (value: 'now' | 'later', label: string) =>
      html`<label class="checkbox">
        <input
          type="radio"
          name="when"
          value=${value}
          .checked=${this.when === value}
          @change=${() => (this.when = value)}
        />
        ${label}
      </label>`;
    return html`<fieldset class="when">
      <legend>${msg('When', { id: 'post.when' })}</legend>
      ${choice('now', msg('Publish now', { id: 'post.now' }))} ${choice('later', msg('Schedule', { id: 'post.later' }))}
      ${
        this.when === 'later'
          ? field({
              id: 'post-at',
              label: msg(str`Time (${userTimeZone()})`, { id: 'post.at' }),
              type: 'datetime-local',
              step: 1,
              value: this.at,
              required: false,
              error: this.errors['scheduledAt'],
              onInput: (event) => (this.at = (event.target as HTMLInputElement).value),
            })
          : nothing
      }
    </fieldset>`;
  }

  override render() {
    const editing = this.editing !== undefined;
    return html`<form class="pub-form composer" novalidate @submit=${this.submit} data-testid="composer">
      <h2>${editing ? msg('Edit the post', { id: 'post.edit-title' }) : msg('New post', { id: 'post.new-title' })}</h2>
      ${this.textField()}
      ${
        editing
          ? nothing
          : html`${imagesField(this.uploads, this.errors['images'], this.addImages, (index) => {
              this.uploads = this.uploads.filter((_, at) => at !== index);
            })}
            ${targetsField({
              channels: this.channels,
              bots: this.bots,
              accounts: this.accounts,
              chosen: this.chosen,
              error: this.errors['targets'],
              onChange: (chosen) => (this.chosen = chosen),
            })}`
      }
      <label class="checkbox">
        <input
          type="checkbox"
          .checked=${this.silent}
          @change=${(event: Event) => (this.silent = (event.target as HTMLInputElement).checked)}
        />
        ${msg('Send silently (no notification sound)', { id: 'post.silent' })}
      </label>
      ${this.whenField()}
      ${
        this.formError !== undefined
          ? html`<wa-callout variant="danger" role="alert" data-testid="error">
              <wa-icon slot="icon" name="circle-alert"></wa-icon>${this.formError}
            </wa-callout>`
          : nothing
      }
      <div class="actions">
        ${submitButton(
          editing
            ? msg('Save changes', { id: 'post.save' })
            : this.when === 'later'
              ? msg('Schedule post', { id: 'post.schedule' })
              : msg('Publish now', { id: 'post.now' }),
          this.sending || this.uploads.some((upload) => upload.id === undefined && upload.error === undefined),
        )}
        ${
          editing
            ? html`<wa-button appearance="outlined" @click=${() => this.done(false)}
                >${msg('Cancel', { id: 'bot.cancel' })}</wa-button
              >`
            : nothing
        }
      </div>
    </form>`;
  }
}
customElements.define('cf-post-composer', PostComposer);
