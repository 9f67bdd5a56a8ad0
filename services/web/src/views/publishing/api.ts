import { api } from '../../api/client.ts';
import { session } from '../../api/session.ts';
import type { paths } from '../../api/generated/schema.ts';

type Json<P extends keyof paths, M extends 'get' | 'post' | 'patch', S extends number> = paths[P][M] extends {
  responses: { [K in S]: { content: { 'application/json': infer T } } };
}
  ? T
  : never;

/** A managed channel (GET /telegram/channels). */
export type Channel = Json<'/api/telegram/channels', 'get', 200>['channels'][number];
/** A chat a connected account may post in (GET /telegram/channels/available). */
export type AvailableChat = Json<'/api/telegram/channels/available', 'get', 200>['chats'][number];
/** A bot (never its token). */
export type Bot = Json<'/api/telegram/bots', 'get', 200>['bots'][number];
/** A bot's rights in one channel (getChatMember). */
export type BotRights = Json<'/api/telegram/channels/{id}/bots', 'get', 200>['bots'][number];
export type Post = Json<'/api/telegram/posts', 'get', 200>['posts'][number];
export type Target = Post['targets'][number];
export type Entity = Post['entities'][number];
export type PostInput = NonNullable<paths['/api/telegram/posts']['post']['requestBody']>['content']['application/json'];
export type PostEdit = NonNullable<
  paths['/api/telegram/posts/{id}']['patch']['requestBody']
>['content']['application/json'];

const byId = (id: string) => ({ params: { path: { id } } });

/** integration-service's publishing routes through the gateway, as the pages use them. */
export const publishing = {
  channels: async () => (await session.call(() => api.GET('/api/telegram/channels'))).channels,
  available: async (accountId: string) =>
    (await session.call(() => api.GET('/api/telegram/channels/available', { params: { query: { accountId } } }))).chats,
  manage: (accountId: string, telegramChatId: string) =>
    session.call(() => api.POST('/api/telegram/channels', { body: { accountId, telegramChatId } })),
  refresh: (id: string) => session.call(() => api.POST('/api/telegram/channels/{id}/refresh', byId(id))),
  unmanage: (id: string) => session.call(() => api.DELETE('/api/telegram/channels/{id}', byId(id))),
  channelBots: async (id: string): Promise<BotRights[]> =>
    (await session.call(() => api.GET('/api/telegram/channels/{id}/bots', byId(id)))).bots,
  bots: async () => (await session.call(() => api.GET('/api/telegram/bots'))).bots,
  addBot: (token: string, name: string | undefined) =>
    session.call(() => api.POST('/api/telegram/bots', { body: { token, ...(name ? { name } : {}) } })),
  renameBot: (id: string, name: string) =>
    session.call(() => api.PATCH('/api/telegram/bots/{id}', { ...byId(id), body: { name } })),
  removeBot: (id: string) => session.call(() => api.DELETE('/api/telegram/bots/{id}', byId(id))),
  uploadImage: (mimeType: 'image/jpeg' | 'image/png' | 'image/webp', data: string) =>
    session.call(() => api.POST('/api/telegram/posts/images', { body: { mimeType, data } })),
  posts: async () =>
    (await session.call(() => api.GET('/api/telegram/posts', { params: { query: { page: 1, pageSize: 50 } } }))).posts,
  createPost: (body: PostInput) => session.call(() => api.POST('/api/telegram/posts', { body })),
  editPost: (id: string, body: PostEdit) =>
    session.call(() => api.PATCH('/api/telegram/posts/{id}', { ...byId(id), body })),
  cancelPost: (id: string) => session.call(() => api.DELETE('/api/telegram/posts/{id}', byId(id))),
  retryTarget: (id: string, targetId: string) =>
    session.call(() =>
      api.POST('/api/telegram/posts/{id}/targets/{targetId}/retry', { params: { path: { id, targetId } } }),
    ),
};
