import { describe, expect, it } from 'vitest';
import { PRESETS, presetById } from '../../src/core/presets.js';
import { renderTemplate, validateTemplate, type TemplateValues } from '../../src/core/templates.js';

const linkEvent: TemplateValues = {
  event_type: 'LINK_ARTIFACT',
  event_author: 'alice',
  artifact_version: 'modelyard-artifact://_id/0190a1b2-0000-7000-8000-00000000000a',
  artifact_version_string: 'acme/model-registry/classifier:v3',
  artifact_collection_name: 'classifier',
  project_name: 'model-registry',
  entity_name: 'acme',
  alias: '',
  artifact_version_index: '3',
  automation_name: 'notify on new version',
  event_id: '0190a1b2-0000-7000-8000-000000000001',
  timestamp: '2026-11-26T14:00:00.000Z',
};
const aliasEvent: TemplateValues = {
  ...linkEvent,
  event_type: 'ADD_ARTIFACT_ALIAS',
  artifact_version_string: 'acme/model-registry/classifier:production',
  alias: 'production',
  // Long, hostile values: the rendered payload must stay valid and within the targets' limits where they apply.
  event_author: 'mallory", "injected": "yes',
  automation_name: 'a'.repeat(255),
};

function render(id: string, values: TemplateValues): any {
  const preset = presetById(id)!;
  return JSON.parse(renderTemplate(preset.template, values, {}));
}

describe('PRESETS', () => {
  it('are valid templates without secrets, with distinct ids', () => {
    expect(PRESETS.map((p) => p.id)).toEqual(['github', 'slack', 'teams']);
    for (const preset of PRESETS) expect(validateTemplate(preset.template, { secrets: [] }), preset.id).toEqual([]);
  });

  it('GitHub: repository_dispatch with event_type ≤ 100 characters and ≤ 10 client_payload keys', () => {
    for (const event of [linkEvent, aliasEvent]) {
      const body = render('github', event);
      expect(Object.keys(body).sort()).toEqual(['client_payload', 'event_type']);
      expect(body.event_type).toBe(event.event_type);
      expect(body.event_type.length).toBeGreaterThan(0);
      expect(body.event_type.length).toBeLessThanOrEqual(100);
      expect(Object.keys(body.client_payload).length).toBeLessThanOrEqual(10);
      expect(body.client_payload.artifact_version_string).toBe(event.artifact_version_string);
      expect(body.client_payload.event_author).toBe(event.event_author);
    }
    expect(render('github', aliasEvent).client_payload.alias).toBe('production');
  });

  it('Slack: Block Kit message with fallback text and well-formed blocks', () => {
    for (const event of [linkEvent, aliasEvent]) {
      const body = render('slack', event);
      expect(typeof body.text).toBe('string');
      expect(body.text).toContain(event.artifact_version_string);
      expect(Array.isArray(body.blocks)).toBe(true);
      expect(body.blocks.length).toBeLessThanOrEqual(50);
      for (const block of body.blocks) {
        expect(['header', 'section', 'divider', 'context']).toContain(block.type);
        if (block.type === 'header') {
          expect(block.text.type).toBe('plain_text');
          expect(block.text.text.length).toBeLessThanOrEqual(150);
        }
        if (block.type === 'section') {
          expect(['mrkdwn', 'plain_text']).toContain(block.text.type);
          expect(block.text.text.length).toBeLessThanOrEqual(3000);
          expect(block.fields.length).toBeLessThanOrEqual(10);
          for (const field of block.fields) {
            expect(['mrkdwn', 'plain_text']).toContain(field.type);
            expect(field.text.length).toBeLessThanOrEqual(2000);
          }
        }
        if (block.type === 'context') {
          expect(block.elements.length).toBeLessThanOrEqual(10);
          for (const element of block.elements) expect(element.type).toBe('mrkdwn');
        }
      }
      const shown = JSON.stringify(body.blocks);
      expect(shown).toContain(JSON.stringify(event.artifact_version_string).slice(1, -1));
      expect(shown).toContain(JSON.stringify(event.event_author).slice(1, -1));
      expect(shown).toContain(event.artifact_version);
    }
    expect(JSON.stringify(render('slack', aliasEvent).blocks)).toContain('*Alias*\\nproduction');
  });

  it('Teams: MessageCard with author and event type facts', () => {
    const body = render('teams', aliasEvent);
    expect(body['@type']).toBe('MessageCard');
    expect(body['@context']).toBe('http://schema.org/extensions');
    expect(body.summary).toContain('ADD_ARTIFACT_ALIAS');
    const facts = Object.fromEntries(body.sections[0].facts.map((f: { name: string; value: string }) => [f.name, f.value]));
    expect(facts).toMatchObject({ Author: aliasEvent.event_author, 'Event Type': 'ADD_ARTIFACT_ALIAS', Alias: 'production', Version: 'v3' });
    expect(body.sections[0].markdown).toBe(true);
  });
});
