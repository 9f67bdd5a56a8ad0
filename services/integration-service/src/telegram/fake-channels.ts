import { createHash, randomInt } from 'node:crypto';
import { floodWait, TelegramError, type OutgoingPost, type TelegramChat, type TelegramPeer } from './port.ts';

/** What a Telegram user is in a chat of the fake. */
export type FakeMembership = 'creator' | 'poster' | 'admin' | 'member';

/** A message the fake holds in a chat, as its readers would see it. */
export interface FakeMessage {
  id: number;
  text: string;
  images: number;
  silent: boolean;
  /** Telegram user id of the account that sent it. */
  from: string;
  randomId: string;
  at: number;
}

/** @internal One channel or supergroup of the fake. */
interface FakeChat {
  id: string;
  accessHash: string;
  kind: 'channel' | 'supergroup';
  title: string;
  username: string | undefined;
  memberCount: number;
  members: Map<string, FakeMembership>;
  messages: FakeMessage[];
}

export interface FakeChannelScript {
  title: string;
  kind?: 'channel' | 'supergroup';
  username?: string;
  memberCount?: number;
}

/**
 * @internal The fake's chats: dialogs and admin rights per Telegram user, the messages posted, `random_id`
 * deduplication (a send repeating a `random_id` of the same sender returns the first message, as Telegram
 * drops the repeat), scripted flood waits per chat, and a send that posts but never answers (a crash window).
 */
export class FakeChannels {
  private readonly chats = new Map<string, FakeChat>();
  private readonly sent = new Map<string, { chatId: string; messageId: number }>();
  private readonly floods = new Map<string, number[]>();
  private hangNext = 0;

  /** `peer` fixes the id and access hash (the demo derives them, so they outlive a restart). */
  add(script: FakeChannelScript, peer?: TelegramPeer): { id: string; accessHash: string; botChatId: string } {
    const id = peer?.id ?? String(1_000_000_000 + randomInt(1_000_000_000));
    const accessHash = peer?.accessHash ?? String(randomInt(1, 2 ** 47));
    this.chats.set(id, {
      id,
      accessHash,
      kind: script.kind ?? 'channel',
      title: script.title,
      username: script.username,
      memberCount: script.memberCount ?? 100,
      members: new Map(),
      messages: [],
    });
    return { id, accessHash, botChatId: `-100${id}` };
  }

  /** Sets what `userId` is in the chat; `undefined` removes them. */
  setMember(chatId: string, userId: string, membership: FakeMembership | undefined): void {
    const chat = this.chatById(chatId);
    if (membership === undefined) chat.members.delete(userId);
    else chat.members.set(userId, membership);
  }

  rename(chatId: string, title: string): void {
    this.chatById(chatId).title = title;
  }

  messages(chatId: string): FakeMessage[] {
    return [...this.chatById(chatId).messages];
  }

  /** The next send to this chat answers FLOOD_WAIT_`seconds` (queued, one per send). */
  floodNext(chatId: string, seconds: number): void {
    this.floods.set(chatId, [...(this.floods.get(chatId) ?? []), seconds]);
  }

  /** The next `count` sends are posted, but their answers never arrive (the sender dies or times out). */
  hangNextSends(count = 1): void {
    this.hangNext += count;
  }

  /**
   * Local demo: an account that is in no chat yet gets three of its own (a public channel, a private one and
   * a supergroup, as creator), so a newcomer has somewhere to publish.
   */
  seedDemo(userId: string): void {
    if ([...this.chats.values()].some((chat) => chat.members.has(userId))) return;
    const suffix = userId.slice(-4);
    const scripts: FakeChannelScript[] = [
      { title: 'Demo news', username: `demo_news_${suffix}`, memberCount: 1520 },
      { title: 'Demo private notes', memberCount: 12 },
      { title: 'Demo discussion', kind: 'supergroup', memberCount: 240 },
    ];
    for (const [index, script] of scripts.entries()) {
      const digest = createHash('sha256').update(`${userId}:${index}`).digest();
      const peer = {
        id: String(1_000_000_000 + (digest.readUInt32BE(0) % 1_000_000_000)),
        accessHash: String(digest.readUInt32BE(4) + 1),
      };
      this.setMember(this.add(script, peer).id, userId, 'creator');
    }
  }

  dialogsOf(userId: string): TelegramChat[] {
    return [...this.chats.values()].filter((chat) => chat.members.has(userId)).map((chat) => this.view(chat, userId));
  }

  chatOf(userId: string, peer: TelegramPeer): TelegramChat {
    return this.view(this.visible(userId, peer), userId);
  }

  /** Posts (or finds the earlier copy of) the message; `hung` when the answer must never arrive. */
  publish(userId: string, peer: TelegramPeer, post: OutgoingPost): { messageId: number; hung: boolean } {
    const chat = this.visible(userId, peer);
    const flood = this.floods.get(chat.id)?.shift();
    if (flood !== undefined) throw floodWait(flood);
    const membership = chat.members.get(userId);
    if (!this.mayPost(chat, membership)) throw new TelegramError('ChatWriteForbidden');
    const dedupKey = `${userId}:${post.randomIds[0] ?? ''}`;
    const earlier = this.sent.get(dedupKey);
    let messageId: number;
    if (earlier !== undefined) {
      messageId = earlier.messageId;
    } else {
      messageId = (chat.messages.at(-1)?.id ?? 0) + 1;
      chat.messages.push({
        id: messageId,
        text: post.text,
        images: post.images.length,
        silent: post.silent,
        from: userId,
        randomId: post.randomIds[0] ?? '',
        at: Date.now(),
      });
      this.sent.set(dedupKey, { chatId: chat.id, messageId });
    }
    const hung = this.hangNext > 0;
    if (hung) this.hangNext -= 1;
    return { messageId, hung };
  }

  private mayPost(chat: FakeChat, membership: FakeMembership | undefined): boolean {
    if (membership === 'creator' || membership === 'poster') return true;
    return chat.kind === 'supergroup' && membership !== undefined;
  }

  private visible(userId: string, peer: TelegramPeer): FakeChat {
    const chat = this.chats.get(peer.id);
    if (chat === undefined || chat.accessHash !== peer.accessHash || !chat.members.has(userId)) {
      throw new TelegramError('ChatInvalid');
    }
    return chat;
  }

  private chatById(chatId: string): FakeChat {
    const chat = this.chats.get(chatId);
    if (chat === undefined) throw new Error(`no fake chat ${chatId}`);
    return chat;
  }

  private view(chat: FakeChat, userId: string): TelegramChat {
    return {
      id: chat.id,
      accessHash: chat.accessHash,
      kind: chat.kind,
      title: chat.title,
      username: chat.username,
      memberCount: chat.memberCount,
      canPost: this.mayPost(chat, chat.members.get(userId)),
    };
  }
}
