import { describe, expect, it } from 'vitest';
import {
  TEMPLATE_VARIABLES,
  TemplateError,
  fillSecrets,
  renderTemplate,
  secretPlaceholders,
  validateTemplate,
  type TemplateValues,
} from '../../src/core/templates.js';

const sampleValues: TemplateValues = {
  event_type: 'ADD_ARTIFACT_ALIAS',
  event_author: 'alice',
  artifact_version: 'modelyard-artifact://_id/0190a1b2',
  artifact_version_string: 'acme/model-registry/classifier:production',
  artifact_collection_name: 'classifier',
  project_name: 'model-registry',
  entity_name: 'acme',
  alias: 'production',
  artifact_version_index: '3',
  automation_name: 'deploy on production',
  event_id: '0190a1b2-0000-7000-8000-000000000001',
  timestamp: '2026-11-26T14:00:00.000Z',
};

function problemsOf(template: string, secrets: string[] = []) {
  return validateTemplate(template, { secrets });
}

describe('validateTemplate', () => {
  it('accepts every documented variable and attached secrets', () => {
    const body = Object.fromEntries(
      TEMPLATE_VARIABLES.map((v) => [v.name, `\${${v.name.replace('KEY', 'accuracy')}}`]),
    );
    const template = JSON.stringify({ ...body, auth: 'Bearer ${API_TOKEN}', mixed: 'v=${alias}/${event_type}' }, null, 2);
    expect(problemsOf(template, ['API_TOKEN'])).toEqual([]);
  });

  const invalidJson: Array<[string, string, number, number, number, RegExp]> = [
    // [case, template, position, line, column, message]
    ['trailing comma', '{"a": "x",}', 10, 1, 11, /property name/],
    ['missing closing brace', '{"a": "x"', 9, 1, 10, /end of the template/],
    ['bare variable as a value', '{\n  "a": ${event_type}\n}', 9, 2, 8, /outside a string/],
    ['single quotes', "{'a': 1}", 1, 1, 2, /property name/],
    ['raw line break in a string', '{"a": "x\ny"}', 8, 1, 9, /control character/],
    ['invalid escape', '{"a": "\\q"}', 7, 1, 8, /invalid escape/],
    ['text after the value', '{} x', 3, 1, 4, /after the end/],
    ['empty template', '', 0, 1, 1, /end of the template/],
    ['missing colon', '{\n"a" 1}', 6, 2, 5, /':'/],
    ['unterminated string', '["abc', 1, 1, 2, /unterminated string/],
  ];
  it.each(invalidJson)('reports invalid JSON with its position: %s', (_name, template, position, line, column, message) => {
    const problems = problemsOf(template);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ position, line, column });
    expect(problems[0]!.message).toMatch(/^invalid JSON/);
    expect(problems[0]!.message).toMatch(message);
  });

  it('agrees with JSON.parse on what is valid JSON', () => {
    const samples = ['1', '-0.5e+3', '"s"', 'true', 'null', '[]', '{}', '[1,[2,{"a":[null]}]]', '01', '1.', '.5', '+1', '[1 2]', '{"a":1,"a":2}', ' \t\n{ } ', 'nul', '"\\u00zz"', '"\\u00e9"', '[,]'];
    for (const sample of samples) {
      let parses = true;
      try {
        JSON.parse(sample);
      } catch {
        parses = false;
      }
      expect(problemsOf(sample).length === 0, sample).toBe(parses);
    }
  });

  it('survives deeply nested input', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    expect(problemsOf(deep)).toEqual([]);
    expect(problemsOf('['.repeat(200_000))[0]!.message).toMatch(/end of the template/);
  });

  it('refuses unknown variables, variables in keys, unattached secrets and unclosed placeholders, each with its position', () => {
    const template = '{\n  "a": "${nope}",\n  "${event_type}": "x",\n  "b": "${API_TOKEN}",\n  "c": "${Mixed}",\n  "d": "${artifact_metadata.}",\n  "e": "${alias"\n}';
    const problems = problemsOf(template, ['OTHER']);
    expect(problems.map((p) => [p.line, p.column])).toEqual([
      [2, 9],
      [3, 4],
      [4, 9],
      [5, 9],
      [6, 9],
      [7, 9],
    ]);
    expect(problems[0]!.message).toBe('unknown variable ${nope}');
    expect(problems[1]!.message).toMatch(/property names/);
    expect(problems[2]!.message).toMatch(/secret API_TOKEN is not attached to the webhook \(attached: OTHER\)/);
    expect(problems[3]!.message).toBe('unknown variable ${Mixed}');
    expect(problems[4]!.message).toMatch(/metadata key/);
    expect(problems[5]!.message).toMatch(/no closing/);
    for (const problem of problems) expect(template.slice(problem.position, problem.position + 2)).toBe('${');
  });

  it('refuses every secret when none are attached (queue jobs)', () => {
    expect(problemsOf('{"a":"${TOKEN}"}')[0]!.message).toMatch(/no secrets are attached/);
  });

  it('treats \\u0024{ as a literal dollar, not a variable', () => {
    expect(problemsOf('{"a":"\\u0024{nope}"}')).toEqual([]);
  });
});

describe('renderTemplate', () => {
  it('fills variables inside strings and keeps the formatting byte for byte', () => {
    const template = '{\n    "event":   "${event_type}",\n\t"who" : "by ${event_author} at ${timestamp}",  "n": 3\n}';
    expect(renderTemplate(template, sampleValues, {})).toBe(
      '{\n    "event":   "ADD_ARTIFACT_ALIAS",\n\t"who" : "by alice at 2026-11-26T14:00:00.000Z",  "n": 3\n}',
    );
  });

  it('renders absent and inapplicable variables as empty strings', () => {
    expect(renderTemplate('{"a":"[${alias}]","b":"${artifact_metadata.missing}"}', { event_type: 'LINK_ARTIFACT' }, {})).toBe('{"a":"[]","b":""}');
  });

  it('inserts metadata strings as they are and other values as their JSON text', () => {
    const metadata = { accuracy: 0.93, name: 'resnet', tags: ['a', 'b'], nested: { k: null }, flag: false, nothing: null };
    const rendered = renderTemplate(
      '{"acc":"${artifact_metadata.accuracy}","name":"${artifact_metadata.name}","tags":"${artifact_metadata.tags}","nested":"${artifact_metadata.nested}","flag":"${artifact_metadata.flag}","nothing":"${artifact_metadata.nothing}"}',
      sampleValues,
      metadata,
    );
    expect(JSON.parse(rendered)).toEqual({ acc: '0.93', name: 'resnet', tags: '["a","b"]', nested: '{"k":null}', flag: 'false', nothing: 'null' });
  });

  it('escapes inserted values so they cannot break the JSON or add keys', () => {
    const hostile = ['", "admin": true, "x": "', '\\', '\n\r\t', '\u0000\u001f', '}{', '\u2028\u2029', '\ud800', 'é✓模型😀'];
    for (const value of hostile) {
      const rendered = renderTemplate('{"a":"<${event_author}>","b":"${artifact_metadata.k}"}', { event_author: value }, { k: value });
      const parsed = JSON.parse(rendered);
      expect(Object.keys(parsed)).toEqual(['a', 'b']);
      expect(parsed.a).toBe(`<${value}>`);
      expect(parsed.b).toBe(value);
    }
  });

  it('does not substitute in keys, leaves secret placeholders and \\u0024{ literals alone', () => {
    const template = '{"${event_type}":"${API_TOKEN}","lit":"\\u0024{event_type}","v":"${event_type}"}';
    const rendered = renderTemplate(template, sampleValues, {});
    expect(rendered).toBe('{"\\u0024{event_type}":"${API_TOKEN}","lit":"\\u0024{event_type}","v":"ADD_ARTIFACT_ALIAS"}');
    expect(JSON.parse(rendered)).toEqual({ '${event_type}': '${API_TOKEN}', lit: '${event_type}', v: 'ADD_ARTIFACT_ALIAS' });
  });

  it('renders a template without $ byte for byte apart from the inserted values', () => {
    const template = '{ "a" : [ "x", 1, { "b": "\\u00e9 ${alias}" } ] }\n';
    expect(renderTemplate(template, sampleValues, {})).toBe('{ "a" : [ "x", 1, { "b": "\\u00e9 production" } ] }\n');
  });

  // [case, template, event author, metadata x]: the event value, with the template's characters around it, must
  // never form a placeholder that phase 2 fills.
  const formedPlaceholders: Array<[string, string, string, string]> = [
    ['$ just before a value', '"cost: $${artifact_metadata.x}"', 'a', '{OTHER}'],
    ['$ before a value, } after it', '"$${artifact_metadata.x}}"', 'a', '{OTHER'],
    ['value ending in $ before {', '"${event_author}{OTHER}"', '$', ''],
    ['value ending in $ before a value starting with {', '"${event_author}${artifact_metadata.x}"', 'x$', '{OTHER}'],
    ['value ending in ${ before text', '"${event_author}OTHER}"', '${', ''],
    ['$ before an unknown ${name}', '"$${Nope}${artifact_metadata.x}"', '', '{OTHER}'],
    ['$ before a secret placeholder', '"$${SIGN}"', '', ''],
    ['escaped backslash before $', '"\\\\$${artifact_metadata.x}"', '', '{OTHER}'],
    ['the author\'s \\u0024 before a value', '"\\u0024${artifact_metadata.x}"', '', '{OTHER}'],
  ];
  it.each(formedPlaceholders)('never lets an event value complete a secret placeholder: %s', (_name, value, author, x) => {
    const rendered = renderTemplate(`{"v":${value}}`, { event_author: author }, { x });
    const names = secretPlaceholders(rendered);
    expect(names.filter((n) => n !== 'SIGN')).toEqual([]);
    const sent = fillSecrets(rendered, { OTHER: 'other-secret-value', SIGN: 'sign-value' });
    expect(sent).not.toContain('other-secret-value');
    const expected = JSON.parse(`{"v":${value}}`.replace('${event_author}', author).replace('${artifact_metadata.x}', x).replace('${SIGN}', 'sign-value'));
    expect(JSON.parse(sent)).toEqual(expected);
  });

  it('writes every inserted $ as \\u0024, so an event value can never become a secret placeholder', () => {
    const template = '{"note":"${artifact_metadata.note}","by":"${event_author}","auth":"${API_TOKEN}"}';
    const rendered = renderTemplate(template, { event_author: '${API_TOKEN}' }, { note: 'leak ${API_TOKEN} $$' });
    expect(rendered).not.toMatch(/\$\{API_TOKEN\}.*\$\{API_TOKEN\}/);
    expect(secretPlaceholders(rendered)).toEqual(['API_TOKEN']);
    const sent = fillSecrets(rendered, { API_TOKEN: 'tok-123' });
    expect(JSON.parse(sent)).toEqual({ note: 'leak ${API_TOKEN} $$', by: '${API_TOKEN}', auth: 'tok-123' });
    expect(sent.match(/tok-123/g)).toHaveLength(1);
  });

  it('throws a TemplateError for a template that is not JSON', () => {
    expect(() => renderTemplate('{"a": ${event_type}}', sampleValues, {})).toThrow(TemplateError);
  });
});

describe('fillSecrets', () => {
  it('replaces secret placeholders in string values with JSON-escaped values', () => {
    const rendered = '{ "auth": "Bearer ${API_TOKEN}", "both": "${A}-${A}", "n": 1 }';
    const sent = fillSecrets(rendered, { API_TOKEN: 'x"y\\z\n', A: '${API_TOKEN}' });
    expect(sent).toBe('{ "auth": "Bearer x\\"y\\\\z\\n", "both": "${API_TOKEN}-${API_TOKEN}", "n": 1 }');
    expect(JSON.parse(sent)).toEqual({ auth: 'Bearer x"y\\z\n', both: '${API_TOKEN}-${API_TOKEN}', n: 1 });
  });

  it('throws naming the missing secret, never a value', () => {
    expect(() => fillSecrets('{"a":"${GONE}","b":"${HERE}"}', { HERE: 'very-secret-value' })).toThrow(/secret GONE/);
    let error: unknown;
    try {
      fillSecrets('{"a":"${HERE}","b":"${GONE}"}', { HERE: 'very-secret-value' });
    } catch (caught) {
      error = caught;
    }
    expect(String(error)).toMatch(/secret GONE/);
    expect(String(error)).not.toContain('very-secret-value');
  });

  it('returns the text unchanged when there is nothing to fill', () => {
    const rendered = '{"a":"\\u0024{API_TOKEN}","b":"${lower}"}';
    expect(fillSecrets(rendered, {})).toBe(rendered);
  });
});

describe('secretPlaceholders', () => {
  it('lists each secret placeholder once, ignoring keys, escaped dollars and text that is not JSON', () => {
    expect(secretPlaceholders('{"a":"${B} ${A} ${B}","${C}":"x","d":"\\u0024{D}","e":"${lower}"}')).toEqual(['B', 'A']);
    expect(secretPlaceholders('not json ${A}')).toEqual([]);
    expect(() => fillSecrets('not json ${A}', { A: 'x' })).toThrow(TemplateError);
  });
});
