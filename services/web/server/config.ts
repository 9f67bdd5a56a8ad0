import { fileURLToPath } from 'node:url';
import { env } from '@cf/kit/config';
import { z } from 'zod';

/** Environment of the web container; the keys are the variable names (charts-ts sets them from this schema). */
export const webEnv = {
  PORT: env.port(8080),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: env.logLevel(),
  WEB_ROOT: z.string().default(fileURLToPath(new URL('../dist', import.meta.url))),
};
