// The condition language of automations: parsing with positions, evaluation over metadata and checks.
import { describe, expect, it } from 'vitest';
import { ConditionError, evaluate, MAX_CONDITION_LENGTH, parseCondition, readsChecks } from '../../src/core/conditions.js';

const context = {
  metadata: { eval: { auc: 0.93, split: 'holdout', passed: true }, epochs: 12, name: 'resnet', 'dotted.key': 1, empty: '', list: [1] },
  checks: { eval: 'success', bias: 'failure' },
};
const holds = (text: string) => evaluate(parseCondition(text), context);

function errorOf(text: string): ConditionError {
  try {
    parseCondition(text);
  } catch (error) {
    if (error instanceof ConditionError) return error;
    throw error;
  }
  throw new Error(`expected "${text}" to be refused`);
}

describe('evaluate', () => {
  it.each([
    ['metadata.eval.auc >= 0.9 && checks.eval == "success"', true],
    ['metadata.eval.auc > 0.95 || checks.bias == "failure"', true],
    ['metadata.eval.auc > 0.95 || checks.bias == "success"', false],
    ['!(checks.eval == "success")', false],
    ['!checks.missing', true],
    ['checks.missing == null', true],
    ["metadata.eval.split == 'holdout'", true],
    ['metadata.eval.passed', true],
    ['metadata.eval.passed == true && metadata.epochs < 20 && metadata.epochs >= 12', true],
    ['metadata.epochs == "12"', false],
    ['metadata.name < "z"', true],
    ['metadata.name > 3', false],
    ['metadata.eval.auc.deeper == null', true],
    ['metadata.nothing.here', false],
    ['metadata.empty', false],
    ['metadata.list', true],
    ['metadata.eval', true],
    ['true && !false', true],
    ['null', false],
    ['1 == 1.0', true],
    ['-1 < 0', true],
    ['"a\\"b" == \'a"b\'', true],
    ['metadata.eval.auc>=0.9&&checks.eval=="success"', true],
    ['((metadata.epochs == 12))', true],
  ])('%s → %s', (text, expected) => {
    expect(holds(text)).toBe(expected);
  });

  it('binds && tighter than ||', () => {
    expect(holds('true || false && false')).toBe(true);
    expect(holds('(true || false) && false')).toBe(false);
  });

  it('tells whether checks are read', () => {
    expect(readsChecks(parseCondition('metadata.a == 1 || !checks.eval'))).toBe(true);
    expect(readsChecks(parseCondition('metadata.a == 1'))).toBe(false);
  });
});

describe('parse errors', () => {
  it.each([
    ['metadata.auc >= ', 16, 'expected a value'],
    ['metadata.auc = 0.9', 13, 'compare with "=="'],
    ['metadata.auc > 0.9 & true', 19, 'write "&&"'],
    ['auc > 0.9', 0, 'unknown name "auc"'],
    ['production == "x"', 0, 'unknown name'],
    ['metadata > 1', 0, 'needs a key'],
    ['checks.eval.x == 1', 0, 'one name'],
    ['metadata. == 1', 10, 'expected a name after "."'],
    ['(metadata.a == 1', 16, 'expected ")"'],
    ['metadata.a == 1)', 15, 'expected "&&", "||" or the end'],
    ['"unterminated', 0, 'unterminated string'],
    ['metadata.a == 1 2', 16, 'expected "&&"'],
    ['', 0, 'empty'],
    ['process.exit(1)', 0, 'unknown name "process"'],
    ['metadata.a == `x`', 14, 'unexpected "`"'],
  ])('%s → position %i', (text, position, message) => {
    const error = errorOf(text);
    expect(error.position).toBe(position);
    expect(error.message).toContain(message);
    expect(error.message).toContain(`position ${position + 1}`);
  });

  it('bounds length and nesting instead of overflowing the stack', () => {
    expect(errorOf('x'.repeat(MAX_CONDITION_LENGTH + 1)).message).toContain('at most');
    expect(errorOf(`${'('.repeat(40)}true${')'.repeat(40)}`).message).toContain('nested');
    expect(errorOf(`${'!'.repeat(40)}true`).message).toContain('nested');
  });
});
