import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stderr; stdout carries only the human "listening" line. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { name: 'chat-server' } }, pino.destination({ dest: 2, sync: false }));
}
