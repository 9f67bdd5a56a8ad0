import { api } from '../../api/client.ts';
import { session } from '../../api/session.ts';
import type { components, paths } from '../../api/generated/schema.ts';

type Schemas = components['schemas'];

/** A managed channel (GET /telegram/channels). */
export type Channel = Schemas['Channel'];
/** A chat a connected account may post in (GET /telegram/channels/available). */
export type AvailableChat = Schemas['AvailableChat'];
/** A bot (never its token). */
export type Bot = Schemas['Bot'];
/** A bot's rights in one channel (getChatMember). */
export type BotRights = Schemas['BotRights'];
export type Post = Schemas['Post'];
export type Target = Schemas['PostTarget'];
export type Entity = Schemas['PostEntity'];
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
