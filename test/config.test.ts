import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, MIN_METRICS_TOKEN_LENGTH } from '../src/config.js';

describe('MODELYARD_METRICS_TOKEN', () => {
  it('is unset by default and read as given when valid', () => {
    expect(loadConfig({}).metricsToken).toBeUndefined();
    expect(loadConfig({ MODELYARD_METRICS_TOKEN: '' }).metricsToken).toBeUndefined();
    const token = 'a1B2-c3D4_e5F6.g7H8~i9J0+k1L2/m3N4=';
    expect(loadConfig({ MODELYARD_METRICS_TOKEN: token }).metricsToken).toBe(token);
  });

  it.each([
    { why: 'too short', value: 'x'.repeat(MIN_METRICS_TOKEN_LENGTH - 1) },
    { why: 'a space', value: `${'x'.repeat(MIN_METRICS_TOKEN_LENGTH)} y` },
    { why: 'a newline', value: `${'x'.repeat(MIN_METRICS_TOKEN_LENGTH)}\n` },
    { why: 'non-ASCII', value: `${'x'.repeat(MIN_METRICS_TOKEN_LENGTH)}é` },
    { why: 'too long', value: 'x'.repeat(513) },
  ])('refuses a token with $why, naming the variable', ({ value }) => {
    expect(() => loadConfig({ MODELYARD_METRICS_TOKEN: value })).toThrow(ConfigError);
    expect(() => loadConfig({ MODELYARD_METRICS_TOKEN: value })).toThrow(/^MODELYARD_METRICS_TOKEN: /);
  });
});
