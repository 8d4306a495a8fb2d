// The pure parts of the client and the CLI: errors parsed as the server states them, the automations file's plan, and following a log tail.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiError, asApiError, checkArtifactPath, collectFiles, type Automation } from '../../src/client/index.js';
import { describePlan, parseAutomationsFile, planChanges, renderAutomationsFile } from '../../src/cli/automations-file.js';
import { newLogText } from '../../src/cli/commands/team.js';

describe('the typed client', () => {
  it('turns error answers into ApiError with status, code, message and details', () => {
    const error = ApiError.fromResponse(400, { error: { code: 'invalid_request', message: 'name: too long', details: { field: 'name' } } });
    expect(error).toMatchObject({ status: 400, code: 'invalid_request', message: 'name: too long', details: { field: 'name' } });
    expect(error.field).toBe('name');
    expect(ApiError.fromResponse(502, 'Bad Gateway from the proxy')).toMatchObject({ code: 'http_502', message: 'HTTP 502: Bad Gateway from the proxy', details: {} });
    expect(ApiError.fromResponse(500, undefined, 'Internal Server Error').message).toBe('Internal Server Error');
    const network = asApiError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' } }));
    expect(network).toMatchObject({ status: 0, code: 'network', message: 'fetch failed: connect ECONNREFUSED 127.0.0.1:1' });
  });

  it('collects files and directories with their relative paths, refusing what the server would refuse', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelyard-collect-'));
    try {
      fs.mkdirSync(path.join(dir, 'config/data'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'weights.bin'), 'w');
      fs.writeFileSync(path.join(dir, 'config/b.yaml'), 'bb');
      fs.writeFileSync(path.join(dir, 'config/data/a.json'), 'aaa');
      fs.mkdirSync(path.join(dir, 'empty'));
      const files = collectFiles([path.join(dir, 'weights.bin'), path.join(dir, 'config')]);
      expect(files.map((f) => [f.name, f.size])).toEqual([
        ['weights.bin', 1],
        ['config/b.yaml', 2],
        ['config/data/a.json', 3],
      ]);
      expect(() => collectFiles([path.join(dir, 'weights.bin'), path.join(dir, 'weights.bin')])).toThrow(/would appear twice/);
      expect(() => collectFiles([path.join(dir, 'empty')])).toThrow(/no files to upload/);
      expect(() => collectFiles([path.join(dir, 'missing')])).toThrow(/no such file or directory/);
      for (const bad of ['', '/abs', 'a/../b', 'a//b', 'back\\slash', 'nul\u0000']) expect(() => checkArtifactPath(bad)).toThrow();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

const automation = (name: string, payload: string, overrides: Partial<Automation> = {}): Automation => ({
  id: `id-${name}`,
  name,
  description: '',
  enabled: true,
  event: { type: 'ADD_ARTIFACT_ALIAS', model: 'classifier', aliasPattern: '^production$' },
  condition: null,
  rateLimit: null,
  cooldownSeconds: null,
  delivery: { order: 'none', supersede: false },
  action: { type: 'webhook', webhookId: 'w1', webhookName: 'deploy', payload },
  createdBy: 'admin',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...overrides,
});

describe('the automations file', () => {
  it('round-trips what the server holds: export, parse, and an empty plan', () => {
    const current = [
      automation('deploy', '{\n  "v": "${artifact_version_string}"\n}\n'),
      automation('no-newline', '{"a": "${HOOK_SECRET}"}', { enabled: false, description: 'x: y # not a comment' }),
      automation('jobs', '', { event: { type: 'LINK_ARTIFACT', model: null, aliasPattern: null }, action: { type: 'queue_job', queue: 'eval', template: '{"n": 1}\n', check: null } }),
      automation('gated', '', {
        event: { type: 'CHECK_COMPLETED', model: 'classifier', aliasPattern: null },
        condition: 'metadata.eval.auc >= 0.9 && checks.eval == "success"',
        rateLimit: { max: 10, perSeconds: 60 },
        cooldownSeconds: 30,
        action: { type: 'queue_job', queue: 'eval', template: '{}', check: 'deploy' },
      }),
      automation('newest', '{"s": "${sequence}"}', { delivery: { order: 'per_subject', supersede: true }, cooldownSeconds: 60 }),
      automation('in-order', '{"s": "${sequence}"}', { event: { type: 'LINK_ARTIFACT', model: null, aliasPattern: null }, delivery: { order: 'per_subject', supersede: false } }),
    ];
    const text = renderAutomationsFile(current, 'vision');
    expect(text).toContain('payload: |\n        {\n          "v": "${artifact_version_string}"\n        }\n');
    expect(text).toContain('payload: |-\n');
    // Ordered delivery is written only when it differs from the default.
    expect(text).toContain('delivery:\n      order: per_subject\n      supersede: true\n');
    expect(text.match(/delivery:/g)).toHaveLength(2);
    const specs = parseAutomationsFile(text, 'automations.yaml');
    expect(planChanges(current, specs, true)).toEqual({ changes: [], unmanaged: [] });
    expect(describePlan(planChanges(current, specs, true))).toBe('no changes');
  });

  it('plans creates, updates with their fields and deletes only with prune', () => {
    const current = [automation('keep', 'p'), automation('change', 'p'), automation('extra', 'p')];
    const specs = parseAutomationsFile(
      `automations:
  - { name: keep, event: { type: ADD_ARTIFACT_ALIAS, model: classifier, aliasPattern: ^production$ }, action: { type: webhook, webhook: deploy, payload: p } }
  - { name: change, enabled: false, event: { type: ADD_ARTIFACT_ALIAS, model: classifier, aliasPattern: ^production$ }, action: { type: webhook, webhook: other, payload: q } }
  - { name: new, event: { type: LINK_ARTIFACT }, action: { type: no_op } }
`,
      'f.yaml',
    );
    const kept = planChanges(current, specs, false);
    expect(describePlan(kept)).toBe('+ create new\n~ update change (enabled, action.webhook, action.payload)\nnot in the file, kept (--prune deletes them): extra');
    expect(describePlan(planChanges(current, specs, true))).toBe('+ create new\n~ update change (enabled, action.webhook, action.payload)\n- delete extra');
    const ordered = parseAutomationsFile(
      'automations:\n  - { name: keep, delivery: { order: per_subject }, event: { type: ADD_ARTIFACT_ALIAS, model: classifier, aliasPattern: ^production$ }, action: { type: webhook, webhook: deploy, payload: p } }\n',
      'f.yaml',
    );
    expect(ordered[0]!.delivery).toEqual({ order: 'per_subject', supersede: false });
    expect(describePlan(planChanges([automation('keep', 'p')], ordered, false))).toBe('~ update keep (delivery)');
  });

  it('refuses what is not an automations file, naming where', () => {
    expect(() => parseAutomationsFile('automations: [', 'a.yaml')).toThrow(/^a\.yaml: not YAML/);
    expect(() => parseAutomationsFile('automations:\n  - { name: x, event: { type: NOPE }, action: { type: no_op } }\n', 'a.yaml')).toThrow(/automations\[0\]\.event\.type/);
    expect(() => parseAutomationsFile('automations:\n  - { name: x, event: { type: LINK_ARTIFACT }, action: { type: webhook, webhook: w } }\n', 'a.yaml')).toThrow(/automations\[0\]\.action\.payload/);
    expect(() => parseAutomationsFile('version: 2\n', 'a.yaml')).toThrow(/version/);
    expect(parseAutomationsFile('', 'empty.yaml')).toEqual([]);
    expect(() => parseAutomationsFile('automations:\n  - { name: x, delivery: { order: fifo }, event: { type: LINK_ARTIFACT }, action: { type: no_op } }\n', 'a.yaml')).toThrow(
      /automations\[0\]\.delivery\.order/,
    );
  });
});

describe('following a job log tail', () => {
  it('prints only what is new, also once the tail has dropped its beginning', () => {
    expect(newLogText('', 'a\n')).toBe('a\n');
    expect(newLogText('a\n', 'a\nb\n')).toBe('b\n');
    expect(newLogText('a\nb\n', 'a\nb\n')).toBe('');
    expect(newLogText('0123456789', '56789abc')).toBe('abc');
  });
});
