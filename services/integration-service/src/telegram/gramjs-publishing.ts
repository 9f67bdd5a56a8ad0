/**
 * The publishing half of the GramJS adapter: dialogs (`messages.getDialogs`), one chat
 * (`channels.getChannels`) and sends (`messages.sendMessage`, `messages.sendMedia`, and for albums
 * `messages.uploadMedia` + `messages.sendMultiMedia`), each carrying the persisted `random_id`.
 */
import { Api } from 'telegram';
import { CustomFile } from 'telegram/client/uploads.js';
import { returnBigInt } from 'telegram/Helpers.js';
import { TelegramError, type MessageEntity, type OutgoingPost, type TelegramChat, type TelegramPeer } from './port.ts';

/** What the publishing calls need of a client: `invoke`, and `uploadFile` for images. */
export interface PublishingClient {
  invoke<R>(request: Api.AnyRequest & { __response?: R }): Promise<R>;
  uploadFile(params: { file: CustomFile; workers: number }): Promise<Api.TypeInputFile>;
}

/** Dialog pages read at most (100 dialogs each): an account in more chats sees its most recent ones. */
export const DIALOG_PAGES = 5;

function chatOf(chat: Api.TypeChat): TelegramChat | undefined {
  if (!(chat instanceof Api.Channel) || chat.left === true || chat.accessHash === undefined) return undefined;
  if (chat.broadcast !== true && chat.megagroup !== true) return undefined;
  const kind = chat.broadcast === true ? 'channel' : 'supergroup';
  const rights = chat.adminRights;
  const canPost = chat.creator === true || (kind === 'channel' ? rights?.postMessages === true : rights !== undefined);
  return {
    id: chat.id.toString(),
    accessHash: chat.accessHash.toString(),
    kind,
    title: chat.title,
    username: chat.username,
    memberCount: chat.participantsCount,
    canPost,
  };
}

export async function readChats(client: PublishingClient): Promise<TelegramChat[]> {
  const found = new Map<string, TelegramChat>();
  let offsetDate = 0;
  let offsetId = 0;
  for (let page = 0; page < DIALOG_PAGES; page += 1) {
    const result = await client.invoke<Api.messages.TypeDialogs>(
      new Api.messages.GetDialogs({
        offsetDate,
        offsetId,
        offsetPeer: new Api.InputPeerEmpty(),
        limit: 100,
        hash: returnBigInt(0),
      }),
    );
    if (result instanceof Api.messages.DialogsNotModified) break;
    for (const chat of result.chats) {
      const view = chatOf(chat);
      if (view !== undefined) found.set(view.id, view);
    }
    const last = result.messages.at(-1);
    if (!(result instanceof Api.messages.DialogsSlice) || result.dialogs.length < 100 || last === undefined) break;
    offsetDate = 'date' in last ? last.date : 0;
    offsetId = last.id;
  }
  return [...found.values()];
}

const inputChannel = (peer: TelegramPeer): Api.InputChannel =>
  new Api.InputChannel({ channelId: returnBigInt(peer.id), accessHash: returnBigInt(peer.accessHash) });

export async function readChat(client: PublishingClient, peer: TelegramPeer): Promise<TelegramChat> {
  const result = await client.invoke<Api.messages.TypeChats>(
    new Api.channels.GetChannels({ id: [inputChannel(peer)] }),
  );
  const view = result.chats.map(chatOf).find((chat) => chat?.id === peer.id);
  if (view === undefined) throw new TelegramError('ChatInvalid');
  return view;
}

/** The entity kinds that carry nothing but their span, by the MTProto class that sends each. */
const SPAN_ENTITIES = {
  bold: Api.MessageEntityBold,
  italic: Api.MessageEntityItalic,
  underline: Api.MessageEntityUnderline,
  strikethrough: Api.MessageEntityStrike,
  spoiler: Api.MessageEntitySpoiler,
  code: Api.MessageEntityCode,
} as const satisfies Record<Exclude<MessageEntity['type'], 'pre' | 'text_link'>, unknown>;

function entitiesOf(entities: MessageEntity[]): Api.TypeMessageEntity[] {
  return entities.map(({ type, offset, length, url }) => {
    if (type === 'pre') return new Api.MessageEntityPre({ offset, length, language: '' });
    if (type === 'text_link') return new Api.MessageEntityTextUrl({ offset, length, url: url ?? '' });
    return new SPAN_ENTITIES[type]({ offset, length });
  });
}

/** The id of the message Telegram created for `randomId`, from the updates a send returned. */
function messageIdOf(updates: Api.TypeUpdates, randomId: string): number {
  if (updates instanceof Api.UpdateShortSentMessage) return updates.id;
  if (updates instanceof Api.Updates || updates instanceof Api.UpdatesCombined) {
    for (const update of updates.updates) {
      if (update instanceof Api.UpdateMessageID && update.randomId?.toString() === randomId) return update.id;
    }
    for (const update of updates.updates) {
      if (update instanceof Api.UpdateNewChannelMessage) return update.message.id;
    }
  }
  throw new TelegramError('Unavailable');
}

async function uploaded(client: PublishingClient, image: OutgoingPost['images'][number], index: number) {
  const extension = image.mimeType === 'image/png' ? 'png' : 'jpg';
  const file = await client.uploadFile({
    file: new CustomFile(`image-${index}.${extension}`, image.data.length, '', image.data),
    workers: 1,
  });
  return new Api.InputMediaUploadedPhoto({ file });
}

export async function sendPost(
  client: PublishingClient,
  target: TelegramPeer,
  post: OutgoingPost,
): Promise<{ messageId: number }> {
  const peer = new Api.InputPeerChannel({
    channelId: returnBigInt(target.id),
    accessHash: returnBigInt(target.accessHash),
  });
  const entities = entitiesOf(post.entities);
  const first = post.randomIds[0];
  if (first === undefined || post.randomIds.length < Math.max(1, post.images.length)) {
    throw new Error('a post needs one random_id per message');
  }
  if (post.images.length === 0) {
    const updates = await client.invoke<Api.TypeUpdates>(
      new Api.messages.SendMessage({
        peer,
        message: post.text,
        entities,
        randomId: returnBigInt(first),
        silent: post.silent,
      }),
    );
    return { messageId: messageIdOf(updates, first) };
  }
  if (post.images.length === 1) {
    const updates = await client.invoke<Api.TypeUpdates>(
      new Api.messages.SendMedia({
        peer,
        media: await uploaded(client, post.images[0]!, 0),
        message: post.text,
        entities,
        randomId: returnBigInt(first),
        silent: post.silent,
      }),
    );
    return { messageId: messageIdOf(updates, first) };
  }
  const multiMedia: Api.InputSingleMedia[] = [];
  for (const [index, image] of post.images.entries()) {
    const media = await client.invoke<Api.TypeMessageMedia>(
      new Api.messages.UploadMedia({ peer, media: await uploaded(client, image, index) }),
    );
    if (!(media instanceof Api.MessageMediaPhoto) || !(media.photo instanceof Api.Photo)) {
      throw new TelegramError('Unavailable');
    }
    const { id, accessHash, fileReference } = media.photo;
    multiMedia.push(
      new Api.InputSingleMedia({
        media: new Api.InputMediaPhoto({ id: new Api.InputPhoto({ id, accessHash, fileReference }) }),
        randomId: returnBigInt(post.randomIds[index]!),
        // The caption of an album is the first item's text.
        message: index === 0 ? post.text : '',
        entities: index === 0 ? entities : [],
      }),
    );
  }
  const updates = await client.invoke<Api.TypeUpdates>(
    new Api.messages.SendMultiMedia({ peer, multiMedia, silent: post.silent }),
  );
  return { messageId: messageIdOf(updates, first) };
}
