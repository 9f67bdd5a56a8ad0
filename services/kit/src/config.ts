import { z } from 'zod';

/** Thrown when the environment does not satisfy a service's config schema; names every offending variable. */
export class ConfigError extends Error {
  readonly variables: readonly string[];

  constructor(issues: readonly { variable: string; message: string }[]) {
    super(`invalid configuration: ${issues.map((issue) => `${issue.variable}: ${issue.message}`).join('; ')}`);
    this.name = 'ConfigError';
    this.variables = issues.map((issue) => issue.variable);
  }
}

/**
 * Reads a service's configuration from environment variables.
 * The schema's keys are the variable names, so an error message names exactly what to fix.
 */
export function loadConfig<Shape extends z.ZodRawShape>(
  shape: Shape,
  env: Record<string, string | undefined> = process.env,
): z.infer<z.ZodObject<Shape>> {
  const picked: Record<string, string | undefined> = {};
  for (const key of Object.keys(shape)) {
    // Empty strings mean "unset" in container env blocks and shells alike.
    const value = env[key];
    picked[key] = value === '' ? undefined : value;
  }
  const result = z.object(shape).safeParse(picked);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '(root)'),
        message: issue.message,
      })),
    );
  }
  return result.data;
}

/** Reusable field types for environment variables. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  url: () => z.url(),
  flag: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default(fallback ? 'true' : 'false')
      .transform((value) => value === 'true' || value === '1' || value === 'yes'),
  logLevel: () => z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
  seconds: (fallback: number) => z.coerce.number().positive().default(fallback),
  /** Comma-separated list, e.g. `10.0.0.0/8,fd00::/8`; empty means none. */
  list: () =>
    z
      .string()
      .default('')
      .transform((value) =>
        value
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item !== ''),
      ),
};

/** The block every server's schema starts with (spread into it): where it listens (0.0.0.0:`port`) and how much it logs. */
export function serverEnv(port = 8080) {
  return { PORT: env.port(port), HOST: z.string().default('0.0.0.0'), LOG_LEVEL: env.logLevel() };
}

/**
 * The access tokens user-service issues and every other service checks (spread into their schemas): the defaults
 * stand here once, since a signer and a checker that disagree refuse every token.
 */
export function accessTokenEnv() {
  return {
    JWT_ISSUER: z.string().default('https://content-factory.local/auth'),
    JWT_AUDIENCE: z.string().default('content-factory'),
  };
}
