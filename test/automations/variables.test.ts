import { describe, expect, it } from 'vitest';
import { artifactVersionString, eventMetadata, eventVariables, sampleEvent, withAutomationName, type VariableSource } from '../../src/automations/variables.js';

const base: VariableSource = {
  id: '0190a1b2-c3d4-7000-8000-000000000001',
  type: 'LINK_ARTIFACT',
  project: 'model-registry',
  collection: 'classifier',
  artifact_version_id: '0190a1b2-c3d4-7000-8000-0000000000aa',
  version_index: 3,
  alias: null,
  author: 'alice',
  created_at: Date.parse('2026-11-26T12:34:56.789Z'),
};

describe('artifactVersionString', () => {
  it.each([
    ['LINK_ARTIFACT', { ...base }, 'vision/model-registry/classifier:v3'],
    ['UNLINK_ARTIFACT', { ...base, type: 'UNLINK_ARTIFACT' as const }, 'vision/model-registry/classifier:v3'],
    ['ADD_ARTIFACT_ALIAS', { ...base, type: 'ADD_ARTIFACT_ALIAS' as const, alias: 'production' }, 'vision/model-registry/classifier:production'],
    ['CREATE_ARTIFACT', { ...base, type: 'CREATE_ARTIFACT' as const, project: 'training', collection: 'resnet', version_index: 0 }, 'vision/training/resnet:v0'],
    ["AUTOMATION_FAILED for a link's run names its version", { ...base, type: 'AUTOMATION_FAILED' as const }, 'vision/model-registry/classifier:v3'],
    ["AUTOMATION_FAILED for an alias event's run names its alias", { ...base, type: 'AUTOMATION_FAILED' as const, alias: 'production' }, 'vision/model-registry/classifier:production'],
    ["AUTOMATION_FAILED for a logged version's run names its project", { ...base, type: 'AUTOMATION_FAILED' as const, project: 'training', collection: 'resnet', version_index: 0 }, 'vision/training/resnet:v0'],
    ['AUTOMATION_FAILED without version', { ...base, type: 'AUTOMATION_FAILED' as const, version_index: null, artifact_version_id: null }, 'vision/model-registry/classifier'],
    ['no collection', { ...base, type: 'AUTOMATION_FAILED' as const, collection: '', version_index: null }, ''],
  ])('%s', (_name, event, expected) => {
    expect(artifactVersionString('vision', event)).toBe(expected);
  });
});

describe('eventVariables', () => {
  it('fills every event variable from the event row', () => {
    expect(withAutomationName(eventVariables('vision', { ...base, type: 'ADD_ARTIFACT_ALIAS', alias: 'staging' }), 'deploy')).toEqual({
      event_type: 'ADD_ARTIFACT_ALIAS',
      event_author: 'alice',
      artifact_version: 'modelyard-artifact://_id/0190a1b2-c3d4-7000-8000-0000000000aa',
      artifact_version_string: 'vision/model-registry/classifier:staging',
      artifact_collection_name: 'classifier',
      project_name: 'model-registry',
      entity_name: 'vision',
      alias: 'staging',
      artifact_version_index: '3',
      automation_name: 'deploy',
      event_id: '0190a1b2-c3d4-7000-8000-000000000001',
      timestamp: '2026-11-26T12:34:56.789Z',
      // Filled from the event's details (alias moves, promotions, checks); this row has none.
      previous_version: '',
      promotion_id: '',
      promotion_url: '',
      comment: '',
      check_name: '',
      check_state: '',
      // Per automation and subject: dispatch fills it for the automations that use it.
      sequence: '',
    });
  });

  it('gives inapplicable variables as empty strings', () => {
    const variables = eventVariables('vision', { ...base, type: 'AUTOMATION_FAILED', artifact_version_id: null, version_index: null });
    expect(variables.artifact_version).toBe('');
    expect(variables.artifact_version_index).toBe('');
    expect(variables.alias).toBe('');
    expect(variables.automation_name).toBe('');
  });

  it('builds samples that render like real events', () => {
    expect(eventVariables('vision', sampleEvent('ADD_ARTIFACT_ALIAS')).artifact_version_string).toBe('vision/model-registry/example-model:production');
    expect(eventVariables('vision', sampleEvent('CREATE_ARTIFACT')).artifact_version_string).toBe('vision/example-project/example-model:v0');
  });
});

describe('eventMetadata', () => {
  it('parses the metadata object and ignores anything else', () => {
    expect(eventMetadata({ metadata: '{"accuracy":0.93,"framework":"torch"}' })).toEqual({ accuracy: 0.93, framework: 'torch' });
    expect(eventMetadata({ metadata: '[1,2]' })).toEqual({});
    expect(eventMetadata({ metadata: 'null' })).toEqual({});
    expect(eventMetadata({ metadata: 'not json' })).toEqual({});
  });
});
