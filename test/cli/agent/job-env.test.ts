import { describe, expect, it } from 'vitest';
import { AgentConfigFile, commandFor, envNameFor, jobEnv, JobRejected } from '../../../src/cli/agent/job-env.js';

const config = AgentConfigFile.parse({ commands: { evaluate: ['python', 'eval.py'], deploy: ['./deploy.sh', '--prod'] } });

describe('commandFor', () => {
  it('runs the agent command whatever the job says', () => {
    expect(commandFor({ command: 'deploy' }, ['./run.sh'], undefined)).toEqual(['./run.sh']);
  });

  it('runs the allow-listed command the job names', () => {
    expect(commandFor({ command: 'evaluate' }, undefined, config)).toEqual(['python', 'eval.py']);
    expect(commandFor({ command: 'deploy', model: 'x' }, [], config)).toEqual(['./deploy.sh', '--prod']);
  });

  it.each([
    ['an unknown name', { command: 'rm' }, /"rm" is not in this agent's allow-list \(deploy, evaluate\)/],
    ['an inherited property name', { command: 'constructor' }, /"constructor" is not in this agent's allow-list/],
    ['a prototype key', { command: '__proto__' }, /"__proto__" is not in this agent's allow-list/],
    ['a command given as argv', { command: ['python', 'evil.py'] }, /no "command" field/],
    ['no command at all', { model: 'x' }, /no "command" field/],
  ])('refuses %s', (_name, payload, message) => {
    expect(() => commandFor(payload, undefined, config)).toThrow(JobRejected);
    expect(() => commandFor(payload, undefined, config)).toThrow(message);
  });

  it('refuses everything without a command or an allow-list', () => {
    expect(() => commandFor({ command: 'evaluate' }, undefined, undefined)).toThrow(/neither a COMMAND nor an allow-list/);
  });
});

describe('AgentConfigFile', () => {
  it.each([
    ['a string instead of argv', { commands: { run: 'python eval.py' } }],
    ['an empty argv', { commands: { run: [] } }],
    ['no commands', { commands: {} }],
    ['a name with spaces', { commands: { 'my run': ['x'] } }],
    ['no commands key', {}],
  ])('rejects %s', (_name, file) => {
    expect(AgentConfigFile.safeParse(file).success).toBe(false);
  });
});

describe('envNameFor', () => {
  it.each([
    ['artifact_version_string', 'MODELYARD_ARTIFACT_VERSION_STRING'],
    ['model', 'MODELYARD_MODEL'],
    ['artifact-version.name', 'MODELYARD_ARTIFACT_VERSION_NAME'],
    ['épochs', 'MODELYARD__POCHS'],
    ['---', undefined],
    ['', undefined],
  ])('%s → %s', (key, expected) => {
    expect(envNameFor(key)).toBe(expected);
  });
});

describe('jobEnv', () => {
  const base = { PATH: '/usr/bin', MODELYARD_URL: 'http://agent-own' };
  const payload = { model: 'm:v1', epochs: 3, flag: true, nested: { a: 1 }, url: 'http://evil', job_id: 'forged', team: 'other' };
  const env = jobEnv({
    base,
    jobId: 'job-1',
    attempt: 2,
    payloadText: JSON.stringify(payload),
    payload,
    url: 'http://server',
    apiKey: 'my_key',
    team: 'vision',
    queue: 'eval',
  });

  it('maps top-level strings and numbers, and only those', () => {
    expect(env.MODELYARD_MODEL).toBe('m:v1');
    expect(env.MODELYARD_EPOCHS).toBe('3');
    expect(env.MODELYARD_FLAG).toBeUndefined();
    expect(env.MODELYARD_NESTED).toBeUndefined();
  });

  it('sets the fixed variables last, so the payload cannot override them', () => {
    expect(env).toMatchObject({
      MODELYARD_JOB_ID: 'job-1',
      MODELYARD_JOB_ATTEMPT: '2',
      MODELYARD_JOB: JSON.stringify(payload),
      MODELYARD_URL: 'http://server',
      MODELYARD_API_KEY: 'my_key',
      MODELYARD_TEAM: 'vision',
      MODELYARD_QUEUE: 'eval',
      PATH: '/usr/bin',
    });
  });
});
