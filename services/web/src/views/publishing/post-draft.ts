import type { PostInput } from './api.ts';

/** Telegram's album size and the service's per-image limit (integration-service posts.ts). */
export const MAX_IMAGES = 10;
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

/** An image being uploaded for the draft: `id` once the service has it, `error` (user text) if it refused it. */
export interface Upload {
  name: string;
  id: string | undefined;
  error: string | undefined;
}

/** How a target is chosen in the composer: `account`, or a bot's id. */
export type Via = string;

/** The file's bytes as base64 (what the upload route takes), without the `data:` URL prefix. */
export function base64Of(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/u, ''));
    reader.onerror = () => reject(reader.error ?? new Error('unreadable file'));
    reader.readAsDataURL(file);
  });
}

/** A `datetime-local` value (the user's wall clock) as an ISO instant; undefined when it names no time. */
export function instantOf(local: string): string | undefined {
  const at = new Date(local);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

/** An ISO instant as a `datetime-local` value on the user's wall clock, to the second. */
export function localValue(iso: string): string {
  const at = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
}

/** The chosen channels (channel id → how) as the create route's targets. */
export function targetsOf(chosen: Map<string, Via>): PostInput['targets'] {
  return [...chosen].map(([channelId, via]) =>
    via === 'account' ? { channelId, via: 'account' as const } : { channelId, via: 'bot' as const, botId: via },
  );
}

/** The type the upload route is told: the file's own when it is one the service takes, JPEG otherwise. */
export function imageType(file: File): ImageType {
  return (IMAGE_TYPES as readonly string[]).includes(file.type) ? (file.type as ImageType) : 'image/jpeg';
}
