import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeBotApi {
  /** `http://127.0.0.1:<port>`: grammY's `apiRoot`. */
  url: string;
  /** Registers a bot the fake knows; returns its token. */
  addBot(bot: { id: number; username: string; firstName?: string }): string;
  /** Calls with this token never get an answer (a hung Bot API). */
  stopAnswering(token: string): void;
  /** Every method called, by name (never the token). */
  readonly calls: string[];
  close(): Promise<void>;
}

/**
 * A small Bot API server on 127.0.0.1 for tests and demo mode: `POST|GET /bot<token>/<method>` answers like
 * api.telegram.org (`{ok, result}` or `{ok: false, error_code, description}`). In `demo` mode every token of
 * the right shape is a bot. Nothing leaves the machine.
 */
export async function startFakeBotApi(options: { demo?: boolean } = {}): Promise<FakeBotApi> {
  const bots = new Map<string, { id: number; username: string; firstName: string }>();
  const silent = new Set<string>();
  const calls: string[] = [];
  let next = 7_000_000_000;
  const server: Server = createServer((request, response) => {
    const match = /^\/bot([^/]+)\/(\w+)/.exec(request.url ?? '');
    const token = decodeURIComponent(match?.[1] ?? '');
    const method = match?.[2] ?? '';
    calls.push(method);
    request.resume();
    if (silent.has(token)) return;
    const answer = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    let bot = bots.get(token);
    if (bot === undefined && options.demo === true && /^\d{6,12}:[\w-]{30,50}$/.test(token)) {
      bot = { id: Number(token.split(':')[0]), username: `demo_${token.split(':')[0]}_bot`, firstName: 'Demo bot' };
    }
    if (bot === undefined) return answer(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    if (method === 'getMe') {
      return answer(200, {
        ok: true,
        result: { id: bot.id, is_bot: true, first_name: bot.firstName, username: bot.username },
      });
    }
    answer(404, { ok: false, error_code: 404, description: 'Not Found: method not found' });
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
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
