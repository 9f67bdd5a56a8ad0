import { msg, str } from '@lit/localize';
import { html, nothing, type TemplateResult } from 'lit';
import { formatPhone } from '../../i18n/locale.ts';
import { routes } from '../../routes.ts';
import { accountName, type TelegramAccount } from '../../telegram.ts';
import { fieldError } from '../field.ts';
import type { Bot, Channel } from './api.ts';
import { IMAGE_TYPES, MAX_IMAGES, type Upload, type Via } from './post-draft.ts';

/** The formatting toolbar: each button wraps the selection in its markup pair (`wrap(before, after)`). */
export function formatToolbar(wrap: (before: string, after: string) => void): TemplateResult {
  const button = (icon: string, label: string, before: string, after: string) =>
    html`<button
      type="button"
      class="wa-plain icon-button"
      title=${label}
      aria-label=${label}
      @click=${() => wrap(before, after)}
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

/** Where a post goes, as chosen so far, and the choices to offer (usable channels, bots, their accounts). */
export interface TargetChoice {
  channels: Channel[];
  bots: Bot[];
  accounts: TelegramAccount[];
  /** Channel id → how it is sent. */
  chosen: Map<string, Via>;
  error: string | undefined;
  onChange: (chosen: Map<string, Via>) => void;
}

/** One checkbox a usable channel, each with how to send (as its account or via a bot); the link to channels if none. */
export function targetsField(choice: TargetChoice): TemplateResult {
  const usable = choice.channels.filter((channel) => channel.state === 'ok');
  return html`<fieldset
    class="targets"
    aria-invalid=${choice.error !== undefined ? 'true' : 'false'}
    aria-describedby="targets-error"
  >
    <legend>${msg('Publish to', { id: 'post.targets' })}</legend>
    ${
      usable.length === 0
        ? html`<p class="hint">
            ${msg('No channel to publish to yet.', { id: 'post.no-channels' })}
            <a href=${routes.channels.path}>${msg('Manage a channel', { id: 'post.go-channels' })}</a>
          </p>`
        : usable.map((channel) => targetRow(channel, choice))
    }
    ${fieldError('targets', choice.error)}
  </fieldset>`;
}

function targetRow(channel: Channel, choice: TargetChoice): TemplateResult {
  const account = choice.accounts.find((candidate) => candidate.id === channel.accountId);
  const via = choice.chosen.get(channel.id);
  const checkboxId = `target-${channel.id}`;
  return html`<div class="target-row" data-testid="target">
    <label class="checkbox" for=${checkboxId}>
      <input
        type="checkbox"
        id=${checkboxId}
        .checked=${via !== undefined}
        @change=${(event: Event) => {
          const next = new Map(choice.chosen);
          if ((event.target as HTMLInputElement).checked) next.set(channel.id, 'account');
          else next.delete(channel.id);
          choice.onChange(next);
        }}
      />
      ${channel.title}
    </label>
    <select
      aria-label=${msg(str`How to send to ${channel.title}`, { id: 'post.via-label' })}
      ?disabled=${via === undefined}
      @change=${(event: Event) => {
        choice.onChange(new Map(choice.chosen).set(channel.id, (event.target as HTMLSelectElement).value));
      }}
    >
      <option value="account" ?selected=${via === 'account'}>
        ${
          account !== undefined
            ? msg(str`As ${accountName(account, formatPhone)}`, { id: 'post.as-account' })
            : msg('As the account', { id: 'post.the-account' })
        }
      </option>
      ${choice.bots.map(
        (bot) =>
          html`<option value=${bot.id} ?selected=${via === bot.id}>
            ${msg(str`Via @${bot.username}`, { id: 'post.via-bot' })}
          </option>`,
      )}
    </select>
  </div>`;
}

/** The image picker and the images so far, each with its upload state and a Remove button. */
export function imagesField(
  uploads: Upload[],
  error: string | undefined,
  onPick: (event: Event) => void,
  onRemove: (index: number) => void,
): TemplateResult {
  return html`<div class="field">
    <label for="post-images"
      >${msg('Images (up to 10, 10 MB each; several make an album)', { id: 'post.images' })}</label
    >
    <input
      id="post-images"
      type="file"
      accept=${IMAGE_TYPES.join(',')}
      multiple
      ?disabled=${uploads.length >= MAX_IMAGES}
      aria-describedby="images-error"
      @change=${onPick}
    />
    <ul class="uploads">
      ${uploads.map(
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
              @click=${() => onRemove(index)}
            >
              <wa-icon name="xmark" aria-hidden="true"></wa-icon>
            </button>
          </li>`,
      )}
    </ul>
    ${fieldError('images', error)}
  </div>`;
}
