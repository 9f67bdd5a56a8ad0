import type { Sequelize } from 'sequelize';
import type { IntegrationServiceConfig } from '../config.ts';
import type { ChatAccess } from './chat-access.ts';
import { Channels } from './channels.ts';
import { Delivery } from './delivery.ts';
import { createPublishingMetrics } from './metrics.ts';
import { Posts } from './posts.ts';
import { PublishQueue } from './queue.ts';

/** Publishing's parts from the service's configuration: the queue, delivery, channels and posts. */
export function wirePublishing(config: IntegrationServiceConfig, deps: ChatAccess & { sequelize: Sequelize }) {
  const { sequelize, ...access } = deps;
  const { store, logger } = access;
  const metrics = createPublishingMetrics();
  const queue = new PublishQueue(sequelize, logger, {
    pollSeconds: config.PUBLISH_POLL_SECONDS,
    expireSeconds: config.PUBLISH_JOB_EXPIRE_SECONDS,
    batchSize: config.PUBLISH_BATCH_SIZE,
    workers: config.PUBLISH_WORKERS,
  });
  const delivery = new Delivery({
    ...access,
    queue,
    metrics,
    options: {
      chatSpacingMs: config.PUBLISH_CHAT_SPACING_SECONDS * 1000,
      maxAttempts: config.PUBLISH_MAX_ATTEMPTS,
      peerAddressTemplate: config.PEER_ADDRESS_TEMPLATE,
      forwardTimeoutMs: config.FORWARD_TIMEOUT_SECONDS * 1000,
    },
  });
  const channels = new Channels({ ...access, maxChannels: config.LIMIT_CHANNELS_PER_USER });
  const posts = new Posts({
    store,
    queue,
    logger,
    limits: {
      openPostsPerUser: config.LIMIT_OPEN_POSTS_PER_USER,
      targetsPerPost: config.LIMIT_TARGETS_PER_POST,
      pendingImagesPerUser: config.LIMIT_PENDING_IMAGES_PER_USER,
    },
  });
  return {
    metrics,
    queue,
    delivery,
    channels,
    posts,
    /** Starts working due sends (after the HTTP server listens: forwarded sends arrive there). */
    start: () => queue.start((job) => delivery.onJob(job)),
  };
}
