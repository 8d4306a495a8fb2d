// `${artifact_metadata.a.b}`: dotted keys walk into nested metadata; a top-level key spelled with dots wins.
import { describe, expect, it } from 'vitest';
import { metadataValue, renderTemplate, validateTemplate } from '../../src/core/templates.js';

const metadata = { eval: { auc: 0.93, split: { name: 'holdout' } }, 'eval.auc': 'top-level wins', list: [{ a: 1 }], nothing: null };

describe('metadata paths', () => {
  it.each([
    ['eval.split.name', 'holdout'],
    ['eval.auc', 'top-level wins'],
    ['eval.missing', undefined],
    ['list.0.a', undefined],
    ['nothing.deeper', undefined],
    ['toString', undefined],
    ['eval.split.name.length', undefined],
  ])('%s → %s', (key, expected) => {
    expect(metadataValue(metadata, key)).toBe(expected);
  });

  it('renders nested values as text or JSON, and absent ones as empty', () => {
    const template = '{"auc":"${artifact_metadata.eval.split}","name":"${artifact_metadata.eval.split.name}","none":"${artifact_metadata.a.b}"}';
    expect(validateTemplate(template, { secrets: [] })).toEqual([]);
    expect(JSON.parse(renderTemplate(template, {}, metadata))).toEqual({ auc: '{"name":"holdout"}', name: 'holdout', none: '' });
  });

  it('knows the variables of promotion and check events', () => {
    const template = '{"a":"${previous_version}","b":"${promotion_id}","c":"${promotion_url}","d":"${comment}","e":"${check_name}","f":"${check_state}"}';
    expect(validateTemplate(template, { secrets: [] })).toEqual([]);
  });
});
