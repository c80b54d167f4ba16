import { pino, type Logger } from 'pino';

export interface LogLine {
  level: number;
  msg?: string;
  requestId?: string;
  [field: string]: unknown;
}

export interface LogCapture {
  /** Logs every level, without redaction: what our code hands to the logger is what shows. */
  logger: Logger;
  /** Everything written so far, as written. */
  text(): string;
  lines(): LogLine[];
}

export function captureLogs(): LogCapture {
  const chunks: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (chunk: string) => void chunks.push(chunk) });
  return {
    logger,
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as LogLine),
  };
}
