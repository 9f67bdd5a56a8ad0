import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

/** A message a bot posted through the fake, as the chat's readers would see it. */
export interface FakeBotMessage {
  id: number;
  botId: number;
  text: string;
  images: number;
  silent: boolean;
  at: number;
}

export interface FakeBotApi {
  /** `http://127.0.0.1:<port>`: grammY's `apiRoot`. */
  url: string;
  /** Registers a bot the fake knows; returns its token. */
  addBot(bot: { id: number; username: string; firstName?: string }): string;
  /** Calls with this token never get an answer (a hung Bot API). */
  stopAnswering(token: string): void;
  /** Makes the bot a member of `chatId` (`-100…`) with this standing; `canPost` for administrators. */
  setMember(
    botId: number,
    chatId: string,
    status: 'creator' | 'administrator' | 'member' | 'left',
    canPost?: boolean,
  ): void;
  /** The next send to `chatId` answers 429 with `retry_after` = `seconds`. */
  floodNext(chatId: string, seconds: number): void;
  /** The next `count` sends are posted, but their answers never arrive. */
  hangNextSends(count?: number): void;
  /** What bots posted in `chatId`. */
  messages(chatId: string): FakeBotMessage[];
  /** Every method called, by name (never the token). */
  readonly calls: string[];
  close(): Promise<void>;
}

type Member = { status: 'creator' | 'administrator' | 'member' | 'left'; canPost: boolean };

/** Reads a Bot API request's parameters: JSON, form or multipart (grammY uses multipart for files). */
async function paramsOf(request: IncomingMessage): Promise<{ fields: Record<string, string>; files: number }> {
  const body = Readable.toWeb(request) as ReadableStream<Uint8Array>;
  const web = new Request('http://fake.invalid/', {
    method: request.method ?? 'POST',
    headers: { 'content-type': request.headers['content-type'] ?? 'application/json' },
    ...(request.method === 'GET' ? {} : { body, duplex: 'half' }),
  } as RequestInit);
  const type = request.headers['content-type'] ?? '';
  if (request.method === 'GET' || type === '') return { fields: {}, files: 0 };
  if (type.includes('json')) {
    const json = (await web.json()) as Record<string, unknown>;
    return {
      fields: Object.fromEntries(
        Object.entries(json).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]),
      ),
      files: 0,
    };
  }
  const form = await web.formData();
  const fields: Record<string, string> = {};
  let files = 0;
  for (const [key, value] of form) {
    if (typeof value === 'string') fields[key] = value;
    else files += 1;
  }
  return { fields, files };
}

/**
 * A small Bot API server on 127.0.0.1 for tests and demo mode: `POST|GET /bot<token>/<method>` answers like
 * api.telegram.org (`{ok, result}` or `{ok: false, error_code, description}`): getMe, getChatMember,
 * sendMessage, sendPhoto and sendMediaGroup, with scripted 429s and lost answers. In `demo` mode every token
 * of the right shape is a bot, administrator with post rights everywhere. Nothing leaves the machine.
 */
export async function startFakeBotApi(options: { demo?: boolean } = {}): Promise<FakeBotApi> {
  const bots = new Map<string, { id: number; username: string; firstName: string }>();
  const members = new Map<string, Member>();
  const chats = new Map<string, FakeBotMessage[]>();
  const floods = new Map<string, number[]>();
  const silent = new Set<string>();
  const calls: string[] = [];
  let hangNext = 0;
  let next = 7_000_000_000;
  const handle = async (request: IncomingMessage, answer: (status: number, body: unknown) => void) => {
    const match = /^\/bot([^/]+)\/(\w+)/.exec(request.url ?? '');
    const token = decodeURIComponent(match?.[1] ?? '');
    const method = match?.[2] ?? '';
    calls.push(method);
    const { fields, files } = await paramsOf(request);
    if (silent.has(token)) return;
    let bot = bots.get(token);
    if (bot === undefined && options.demo === true && /^\d{6,12}:[\w-]{30,50}$/.test(token)) {
      bot = { id: Number(token.split(':')[0]), username: `demo_${token.split(':')[0]}_bot`, firstName: 'Demo bot' };
    }
    if (bot === undefined) return answer(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const chatId = fields['chat_id'] ?? '';
    const member =
      members.get(`${bot.id}:${chatId}`) ??
      (options.demo === true ? { status: 'administrator', canPost: true } : undefined);
    switch (method) {
      case 'getMe':
        return answer(200, {
          ok: true,
          result: { id: bot.id, is_bot: true, first_name: bot.firstName, username: bot.username },
        });
      case 'getChatMember': {
        if (!chats.has(chatId) && member === undefined) {
          return answer(400, { ok: false, error_code: 400, description: 'Bad Request: chat not found' });
        }
        const status = member?.status ?? 'left';
        const user = { id: bot.id, is_bot: true, first_name: bot.firstName };
        const result =
          status === 'administrator'
            ? { status, user, can_post_messages: member?.canPost ?? false, can_be_edited: false }
            : { status, user };
        return answer(200, { ok: true, result });
      }
      case 'sendMessage':
      case 'sendPhoto':
      case 'sendMediaGroup': {
        const flood = floods.get(chatId)?.shift();
        if (flood !== undefined) {
          return answer(429, {
            ok: false,
            error_code: 429,
            description: `Too Many Requests: retry after ${flood}`,
            parameters: { retry_after: flood },
          });
        }
        if (member === undefined || member.status === 'left' || (member.status !== 'creator' && !member.canPost)) {
          return answer(403, {
            ok: false,
            error_code: 403,
            description: 'Forbidden: bot is not a member of the channel chat',
          });
        }
        const messages = chats.get(chatId) ?? [];
        chats.set(chatId, messages);
        const id = (messages.at(-1)?.id ?? 0) + 1;
        const text =
          fields['text'] ??
          fields['caption'] ??
          (method === 'sendMediaGroup' ? (JSON.parse(fields['media'] ?? '[]')[0]?.caption ?? '') : '');
        messages.push({
          id,
          botId: bot.id,
          text,
          images: files,
          silent: fields['disable_notification'] === 'true',
          at: Date.now(),
        });
        if (hangNext > 0) {
          hangNext -= 1;
          return;
        }
        const message = {
          message_id: id,
          date: Math.floor(Date.now() / 1000),
          chat: { id: Number(chatId), type: 'channel' },
        };
        return answer(200, { ok: true, result: method === 'sendMediaGroup' ? [message] : message });
      }
      default:
        return answer(404, { ok: false, error_code: 404, description: 'Not Found: method not found' });
    }
  };
  const server: Server = createServer((request, response) => {
    const answer = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    handle(request, answer).catch(() => answer(400, { ok: false, error_code: 400, description: 'Bad Request' }));
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    addBot(bot) {
      next += 1;
      const token = `${bot.id}:AA${Buffer.from(`${bot.id}-${next}-fake-bot-token-secret`).toString('base64url')}`;
      bots.set(token, { ...bot, firstName: bot.firstName ?? bot.username });
      return token;
    },
    stopAnswering(token) {
      silent.add(token);
    },
    setMember(botId, chatId, status, canPost = status === 'creator') {
      members.set(`${botId}:${chatId}`, { status, canPost });
      if (!chats.has(chatId)) chats.set(chatId, []);
    },
    floodNext(chatId, seconds) {
      floods.set(chatId, [...(floods.get(chatId) ?? []), seconds]);
    },
    hangNextSends(count = 1) {
      hangNext += count;
    },
    messages(chatId) {
      return [...(chats.get(chatId) ?? [])];
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
