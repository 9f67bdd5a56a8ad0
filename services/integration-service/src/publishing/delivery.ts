import { BotApiError } from '../bots/bot-api.ts';
import type { DeliveryRow } from '../db/deliveries.ts';
import { resourceName } from '../resources.ts';
import { asTelegramError, type OutgoingPost } from '../telegram/port.ts';
import type { ChatAccess } from './chat-access.ts';
import { botChatId, messageLink } from './links.ts';
import type { PublishingMetrics } from './metrics.ts';
import type { PublishQueue, SendJob } from './queue.ts';

/** What the user reads for a bot send whose outcome is not known (never retried on its own). */
export const UNKNOWN_OUTCOME = 'unknown — check the channel';

export interface DeliveryOptions {
  /** Least time between two sends to one chat (pacing), in ms. */
  chatSpacingMs: number;
  maxAttempts: number;
  /** `http://{pod}…`: where the owner of an account is reached. */
  peerAddressTemplate: string;
  forwardTimeoutMs: number;
}

type Outcome =
  | { state: 'sent'; messageId: number; link: string | null }
  | { state: 'failed' | 'unknown'; failure: string }
  | { state: 'scheduled'; dueAt: Date; failure: string };

/**
 * Sends due targets. A job runs on any replica: it takes a pacing slot of the chat, then a bot target is sent
 * here and an account target on the pod holding the account's lease (forwarded to it when that is another
 * pod). Every attempt is recorded (`sending`) before the call. Account sends repeat their persisted
 * random_ids, so a repeat after a crash is dropped by Telegram; a bot attempt found `sending` again has an
 * unknown outcome and is marked so, never re-sent.
 */
export class Delivery {
  private readonly deps: ChatAccess & { queue: PublishQueue; metrics: PublishingMetrics; options: DeliveryOptions };

  constructor(deps: Delivery['deps']) {
    this.deps = deps;
  }

  /**
   * A due job, on whichever replica pg-boss gave it to. A bot target, or an account target whose lease this
   * pod holds, is begun here in one statement (pacing slot included); an account held elsewhere takes its
   * slot here and is forwarded to the owner. A slot still ahead requeues the job for exactly then.
   */
  async onJob(job: SendJob): Promise<void> {
    const { store, holder, queue, options } = this.deps;
    let route = job.via !== undefined ? { via: job.via, accountId: job.accountId ?? null } : undefined;
    if (route === undefined) {
      // A job queued before it carried its route.
      const target = await store.deliveries.target(job.targetId);
      if (target === undefined || target.version !== job.version) return;
      route = { via: target.via, accountId: target.account_id };
    }
    const holdsSlot = job.slot !== undefined || job.slotted === true;
    const spacingMs = holdsSlot ? 0 : options.chatSpacingMs;
    const routed: SendJob = { ...job, via: route.via, accountId: route.accountId };
    if (route.via === 'bot' || route.accountId === null) return this.attemptHere(routed, spacingMs);
    const owner = await holder.route(resourceName('account', route.accountId));
    if (owner.local) return this.attemptHere(routed, spacingMs);
    if (!('pod' in owner)) return queue.enqueue(job, new Date(Date.now() + owner.retryAfter * 1000));
    if (!holdsSlot && spacingMs > 0) {
      const paced = await store.deliveries.pace(job.targetId, job.version, spacingMs);
      if (paced === undefined) return;
      const { slot } = paced;
      if (slot !== null && slot.getTime() > Date.now()) return queue.enqueue({ ...routed, slot: slot.getTime() }, slot);
    }
    return this.forward(owner.pod, routed);
  }

  /** Asks the owning pod to send; when it cannot be asked, the job runs again shortly (keeping its slot). */
  private async forward(pod: string, job: SendJob): Promise<void> {
    const { options, queue, logger } = this.deps;
    const url = `${options.peerAddressTemplate.replace('{pod}', pod)}/internal/publish/targets/${job.targetId}`;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ version: job.version }),
        signal: AbortSignal.timeout(options.forwardTimeoutMs),
      });
      if (response.status === 204) return;
      logger.warn({ pod, status: response.status, targetId: job.targetId }, 'the owner did not take the send');
    } catch (error) {
      logger.warn({ pod, err: error, targetId: job.targetId }, 'the owner could not be asked to send');
    }
    await queue.enqueue({ ...job, slot: job.slot ?? Date.now() }, new Date(Date.now() + 2000));
  }

  /** A send forwarded by another replica to this one, the account's owner: its slot is already taken. */
  async deliverHere(targetId: string, version: number): Promise<void> {
    return this.attemptHere({ targetId, version }, 0);
  }

  /**
   * Runs one attempt of the target here (this pod holds the account, or it is a bot target): begun and
   * settled in one statement each. With `spacingMs` > 0 the chat's pacing slot is taken first; a slot still
   * ahead requeues the job for then instead of sending.
   */
  private async attemptHere(job: SendJob, spacingMs: number): Promise<void> {
    const { store, queue, logger } = this.deps;
    const begun = await store.deliveries.begin(job.targetId, job.version, spacingMs);
    if (begun === undefined) return;
    if ('slot' in begun) return queue.enqueue({ ...job, slot: begun.slot.getTime() }, begun.slot);
    const row = begun.row;
    const outcome = await this.attempt(row);
    const settled = await store.deliveries.settle(row.id, row.version, outcome);
    this.record(row, outcome);
    if (settled !== undefined && outcome.state === 'scheduled') {
      await queue.enqueue(
        { targetId: row.id, version: settled.version, via: row.via, accountId: row.account_id },
        outcome.dueAt,
      );
    }
    if (outcome.state !== 'scheduled') {
      logger.info(
        { userId: row.user_id, postId: row.post_id, targetId: row.id, via: row.via, state: outcome.state },
        'publish attempt settled',
      );
    }
  }

  private record(row: DeliveryRow, outcome: Outcome): void {
    const { metrics } = this.deps;
    metrics.attempts.inc({ via: row.via, outcome: outcome.state === 'scheduled' ? 'rescheduled' : outcome.state });
    if (outcome.state === 'sent') {
      metrics.lateness.observe(
        { via: row.via },
        Math.max(0, (Date.now() - new Date(row.scheduled_at).getTime()) / 1000),
      );
    }
  }

  /** Telegram asked to wait: the target goes again after the wait. The chat is logged, not a metric label. */
  private floodWait(row: DeliveryRow, seconds: number): Outcome {
    this.deps.metrics.floodWaits.inc({ via: row.via });
    this.deps.logger.warn(
      { targetId: row.id, chatId: row.telegram_chat_id, via: row.via, seconds },
      'Telegram asked to wait before sending to this chat',
    );
    return { state: 'scheduled', dueAt: new Date(Date.now() + Math.max(1, seconds) * 1000), failure: 'FloodWait' };
  }

  private async attempt(row: DeliveryRow): Promise<Outcome> {
    const { store } = this.deps;
    if (row.via === 'bot' && row.before === 'sending') {
      // An earlier attempt got no answer (its pod died or the call timed out): it may have been posted.
      return { state: 'unknown', failure: UNKNOWN_OUTCOME };
    }
    const post: OutgoingPost = {
      text: row.text,
      entities: row.entities,
      images: row.image_count > 0 ? await store.posts.images(row.post_id) : [],
      silent: row.silent,
      randomIds: row.random_ids,
    };
    return row.via === 'bot' ? this.viaBot(row, post) : this.viaAccount(row, post);
  }

  private async viaAccount(row: DeliveryRow, post: OutgoingPost): Promise<Outcome> {
    const { holder, store, options } = this.deps;
    const held = holder.get(resourceName('account', row.account_id ?? ''));
    if (held === undefined)
      return { state: 'scheduled', dueAt: new Date(Date.now() + 1000), failure: 'ownership moved' };
    try {
      const { messageId } = await holder.serialized(held, () =>
        held.conn.publish({ id: row.telegram_chat_id, accessHash: row.access_hash }, post),
      );
      return { state: 'sent', messageId, link: messageLink(row, messageId) };
    } catch (error) {
      const failure = asTelegramError(error);
      switch (failure.kind) {
        case 'FloodWait':
          return this.floodWait(row, failure.seconds);
        case 'ChatWriteForbidden':
          await store.channels.setState(row.channel_id, 'rights_removed');
          return { state: 'failed', failure: failure.kind };
        case 'ChatInvalid':
          await store.channels.setState(row.channel_id, 'gone');
          return { state: 'failed', failure: failure.kind };
        case 'Timeout':
        case 'Unavailable':
        case 'Unreachable':
        case 'Migrate':
          // The random_id makes a repeat safe: Telegram drops it if the first one arrived.
          if (row.attempts < options.maxAttempts) {
            return { state: 'scheduled', dueAt: new Date(Date.now() + 2000 * row.attempts), failure: failure.kind };
          }
          return { state: 'failed', failure: failure.kind };
        default:
          return { state: 'failed', failure: failure.kind };
      }
    }
  }

  private async viaBot(row: DeliveryRow, post: OutgoingPost): Promise<Outcome> {
    const { cipher, botApi } = this.deps;
    if (row.token_ciphertext === null) return { state: 'failed', failure: 'BotRemoved' };
    try {
      const token = await cipher.decrypt(row.token_ciphertext);
      const { messageId } = await botApi.send(token, botChatId(row.telegram_chat_id), post);
      return { state: 'sent', messageId, link: messageLink(row, messageId) };
    } catch (error) {
      if (!(error instanceof BotApiError)) return { state: 'failed', failure: 'Unavailable' };
      switch (error.kind) {
        case 'FloodWait':
          // A 429 is a definite "not sent".
          return this.floodWait(row, error.seconds);
        case 'Timeout':
        case 'Unreachable':
          return { state: 'unknown', failure: UNKNOWN_OUTCOME };
        default:
          return { state: 'failed', failure: error.kind };
      }
    }
  }
}
