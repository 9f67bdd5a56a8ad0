import { createTransport, type Transporter } from 'nodemailer';
import type { MailContent } from './templates.ts';

/**
 * How to reach the SMTP server. `tls`: implicit TLS from the first byte (port 465, RFC 8314); `starttls`: plain
 * connect, then STARTTLS is required (587); `none`: plain, for a loopback mail catcher only.
 */
export interface SmtpSettings {
  host: string;
  port: number;
  tls: 'none' | 'starttls' | 'tls';
  user?: string | undefined;
  password?: string | undefined;
  /** PEM bundle the server's certificate must chain to; the system's roots when unset. */
  ca?: string | undefined;
  /** The envelope and header sender, e.g. `Content Factory <no-reply@example.org>`. */
  from: string;
  /** Every phase (connect, greeting, each command) is bounded by this; default 10 s. */
  timeoutMs?: number;
}

/** Sends one mail or throws; never retries (the outbox does). */
export interface MailTransport {
  send(to: string, content: MailContent): Promise<{ messageId: string }>;
  close(): void;
}

/**
 * An SMTP transport on nodemailer. Every outside call has a deadline: nodemailer's connection, greeting and socket
 * timeouts all take `timeoutMs`, so a server that accepts the TCP connection and then says nothing fails in bounded
 * time instead of holding a worker.
 */
export function smtpTransport(settings: SmtpSettings): MailTransport {
  const timeout = settings.timeoutMs ?? 10_000;
  const transporter: Transporter = createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.tls === 'tls',
    requireTLS: settings.tls === 'starttls',
    ignoreTLS: settings.tls === 'none',
    ...(settings.user !== undefined && settings.user !== ''
      ? { auth: { user: settings.user, pass: settings.password ?? '' } }
      : {}),
    ...(settings.ca !== undefined ? { tls: { ca: settings.ca } } : {}),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    dnsTimeout: timeout,
    // nodemailer logs nothing of its own; its errors reach our logger without the credentials.
    logger: false,
    debug: false,
  });
  return {
    async send(to, content) {
      const info = (await transporter.sendMail({
        from: settings.from,
        to,
        subject: content.subject,
        text: content.text,
        html: content.html,
        // No read receipts, no tracking headers; mail clients may thread by this.
        headers: { 'Auto-Submitted': 'auto-generated' },
      })) as { messageId: string };
      return { messageId: info.messageId };
    },
    close() {
      transporter.close();
    },
  };
}
