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
    event: null,
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

  const event = {
    type: 'ADD_ARTIFACT_ALIAS',
    model: 'classifier',
    version: 'v3',
    alias: 'production',
    artifactVersionString: 'vision/model-registry/classifier:production',
    author: 'alice',
    eventId: 'event-1',
  };
  const withEvent = (payload: Record<string, unknown>, inherited: Record<string, string> = {}) =>
    jobEnv({
      base: { ...base, ...inherited },
      jobId: 'job-2',
      attempt: 1,
      payloadText: JSON.stringify(payload),
      payload,
      url: 'http://server',
      apiKey: 'my_key',
      team: 'vision',
      queue: 'eval',
      event,
    });

  it("exports an automation job's event whatever the template's fields are called, over payload fields of the same name", () => {
    const env = withEvent({ ref: 'x', model: 'some-other-model', version: 'v99', alias: 'forged' });
    expect(env).toMatchObject({
      MODELYARD_EVENT_TYPE: 'ADD_ARTIFACT_ALIAS',
      MODELYARD_ARTIFACT_VERSION_STRING: 'vision/model-registry/classifier:production',
      MODELYARD_MODEL: 'classifier',
      MODELYARD_VERSION: 'v3',
      MODELYARD_ALIAS: 'production',
      MODELYARD_EVENT_AUTHOR: 'alice',
      MODELYARD_EVENT_ID: 'event-1',
      MODELYARD_REF: 'x',
    });
  });

  it('gives an event without a version or alias empty variables', () => {
    const env = jobEnv({
      base,
      jobId: 'job-3',
      attempt: 1,
      payloadText: '{}',
      payload: {},
      url: 'http://server',
      apiKey: 'my_key',
      team: 'vision',
      queue: 'eval',
      event: { ...event, type: 'AUTOMATION_FAILED', version: null, alias: null, artifactVersionString: 'vision/model-registry/classifier' },
    });
    expect(env).toMatchObject({ MODELYARD_EVENT_TYPE: 'AUTOMATION_FAILED', MODELYARD_VERSION: '', MODELYARD_ALIAS: '' });
  });

  it('sets the event variables of a hand-made job from its payload, else empty, never from the agent\'s environment', () => {
    const hand = jobEnv({
      base: { ...base, MODELYARD_ALIAS: 'inherited', MODELYARD_EVENT_TYPE: 'inherited' },
      jobId: 'job-4',
      attempt: 1,
      payloadText: '{"model":"m:v1"}',
      payload: { model: 'm:v1' },
      url: 'http://server',
      apiKey: 'my_key',
      team: 'vision',
      queue: 'eval',
      event: null,
    });
    expect(hand).toMatchObject({
      MODELYARD_MODEL: 'm:v1',
      MODELYARD_EVENT_TYPE: '',
      MODELYARD_ARTIFACT_VERSION_STRING: '',
      MODELYARD_VERSION: '',
      MODELYARD_ALIAS: '',
      MODELYARD_EVENT_AUTHOR: '',
      MODELYARD_EVENT_ID: '',
    });
  });

  it('never lets an inherited variable stand in for the event', () => {
    expect(withEvent({}, { MODELYARD_MODEL: 'inherited' }).MODELYARD_MODEL).toBe('classifier');
  });
});
