/**
 * The `t.me` link of a message: `https://t.me/<username>/<id>` for a public chat, `https://t.me/c/<id>/<id>`
 * for a private one (readable by its members), as Telegram's "Copy link" gives them.
 */
export function messageLink(chat: { telegram_chat_id: string; username: string | null }, messageId: number): string {
  return chat.username !== null && chat.username !== ''
    ? `https://t.me/${chat.username}/${messageId}`
    : `https://t.me/c/${chat.telegram_chat_id}/${messageId}`;
}

/** The chat id the Bot API uses for a channel or supergroup: `-100` and the MTProto id. */
export const botChatId = (telegramChatId: string): string => `-100${telegramChatId}`;
