// The process logger. Credentials are redacted by path as a second line of defence; the first is that no code
// logs a secret value, a request's Authorization header, a cookie, or a rendered body with secrets filled in. The
// paths cover where a value could end up if someone logged a request, a delivery or a secret row by mistake:
// credentials in headers (the access token, the signatures, which allow offline guessing of the signing secret
// beside the body), secret values and ciphertexts, and request/response bodies (a delivery body carries the secrets
// its template names; an echoing receiver's answer may carry them too).
import pino, { type Logger } from 'pino';
import type { LogLevel } from './config.js';

const CREDENTIAL_HEADERS = ['authorization', 'Authorization', 'cookie', '["set-cookie"]', '["x-csrf-token"]', '["x-wandb-signature"]', '["webhook-signature"]'];
const header = (name: string) => (name.startsWith('[') ? name : `.${name}`);

export const REDACT_PATHS = [
  ...CREDENTIAL_HEADERS.flatMap((name) => [`req.headers${header(name)}`, `res.headers${header(name)}`, `headers${header(name)}`, `*.headers${header(name)}`]),
  'req.body',
  '*.password',
  '*.value',
  '*.values',
  '*.key',
  '*.apiKey',
  '*.secret',
  '*.secrets',
  '*.secretValues',
  '*.accessToken',
  '*.token',
  '*.ciphertext',
  '*.body',
  '*.requestBody',
  '*.responseBody',
];

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'modelyard' } }, destination);
}
