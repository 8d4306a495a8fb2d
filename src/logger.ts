// The process logger. Credentials are redacted by path as a second line of defence; the first is that no code
// logs a secret value, a request's Authorization header, a cookie, or a rendered body with secrets filled in.
import pino, { type Logger } from 'pino';
import type { LogLevel } from './config.js';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.Authorization',
  '*.password',
  '*.value',
  '*.key',
  '*.apiKey',
  '*.secret',
];

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'modelyard' } }, destination);
}
