import bunyan from 'bunyan';
import type { Writable } from 'node:stream';
import { redact } from './redact.ts';

export type Logger = bunyan;
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface LoggerOptions {
  /** Service name, written as `name` on every record. */
  name: string;
  /** Default: `info`. */
  level?: LogLevel;
  /** Where JSON lines go. Default: stdout (Kubernetes collects it). */
  stream?: Writable;
}

/** A bunyan stream that redacts every record before it is serialized, so no code path can log a secret. */
class RedactingStream {
  private readonly out: Writable;

  constructor(out: Writable) {
    this.out = out;
  }

  write(record: object): void {
    this.out.write(`${JSON.stringify(redact(record))}\n`);
  }
}

/** JSON logger for a service. Child loggers (per request) inherit the redaction. */
export function createLogger(options: LoggerOptions): Logger {
  return bunyan.createLogger({
    name: options.name,
    level: options.level ?? 'info',
    serializers: { err: bunyan.stdSerializers.err },
    streams: [
      {
        type: 'raw',
        level: options.level ?? 'info',
        stream: new RedactingStream(options.stream ?? process.stdout),
      },
    ],
  });
}
