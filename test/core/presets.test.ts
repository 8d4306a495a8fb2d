import { describe, expect, it } from 'vitest';
import { listPresets, presetById, PRESET_EVENT_TYPES, SLACK_LIMITS, type PresetOptions } from '../../src/core/presets.js';
import { renderTemplate, validateTemplate, type TemplateValues } from '../../src/core/templates.js';
import { headerProblems } from '../../src/core/webhook-headers.js';

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

function render(id: string, values: TemplateValues, options: PresetOptions = {}, metadata: Record<string, unknown> = {}): any {
  const preset = presetById(id, options)!;
  return JSON.parse(renderTemplate(preset.template, values, metadata));
}

const PUBLIC_URL = 'https://modelyard.example.com/';

describe('presets', () => {
  it('are valid templates without secrets, with distinct ids, with and without a public URL and for every event type', () => {
    expect(listPresets().map((p) => p.id)).toEqual(['github', 'slack', 'teams', 'teams-legacy']);
    for (const options of [{}, { publicUrl: PUBLIC_URL }, ...PRESET_EVENT_TYPES.map((eventType) => ({ publicUrl: PUBLIC_URL, eventType }))]) {
      for (const preset of listPresets(options)) {
        expect(validateTemplate(preset.template, { secrets: [] }), preset.id).toEqual([]);
        expect(preset.eventTypes.length, preset.id).toBeGreaterThan(0);
        expect(preset.description.length, preset.id).toBeGreaterThan(0);
      }
    }
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

  it('GitHub suggests the headers its API asks for, as valid custom headers; the others suggest none', () => {
    expect(presetById('github')!.suggestedHeaders).toEqual([
      { name: 'Accept', value: 'application/vnd.github+json' },
      { name: 'X-GitHub-Api-Version', value: '2022-11-28' },
    ]);
    for (const preset of listPresets()) {
      expect(headerProblems(preset.suggestedHeaders, { accessTokenSet: true }), preset.id).toEqual([]);
      if (preset.id !== 'github') expect(preset.suggestedHeaders, preset.id).toEqual([]);
    }
  });

  it('GitHub: the description and the workflow explain that event_type must match on.repository_dispatch.types', () => {
    const github = presetById('github')!;
    expect(github.description).toContain('on.repository_dispatch.types');
    expect(github.description).toContain('Contents: write');
    expect(github.example?.language).toBe('yaml');
    // The workflow's types are event types the preset sends as event_type.
    const types = /types: \[([^\]]*)\]/.exec(github.example!.text)![1]!.split(',').map((t) => t.trim());
    expect(types.length).toBeGreaterThan(0);
    for (const type of types) {
      expect(PRESET_EVENT_TYPES).toContain(type);
      expect(render('github', { ...linkEvent, event_type: type }).event_type).toBe(type);
    }
    expect(github.example!.text).toContain('repository_dispatch:');
    expect(github.example!.text).toContain('github.event.client_payload.artifact_version_string');
  });
});

// Block Kit's rules for what the Slack preset uses; a text object is mrkdwn-interpreted unless it is plain_text.
function slackTexts(body: any): Array<{ where: string; type: 'mrkdwn' | 'plain_text'; text: string; limit: number }> {
  const texts: Array<{ where: string; type: 'mrkdwn' | 'plain_text'; text: string; limit: number }> = [];
  const textObject = (where: string, object: any, limit: number) => {
    expect(['mrkdwn', 'plain_text'], where).toContain(object.type);
    expect(typeof object.text, where).toBe('string');
    expect(object.text.length, where).toBeGreaterThan(0);
    texts.push({ where, type: object.type, text: object.text, limit });
  };
  // The top-level text is the notification fallback, read as mrkdwn.
  texts.push({ where: 'text', type: 'mrkdwn', text: body.text, limit: SLACK_LIMITS.fallbackText });
  expect(Array.isArray(body.blocks)).toBe(true);
  expect(body.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
  body.blocks.forEach((block: any, i: number) => {
    const where = `blocks[${i}]`;
    expect(['header', 'section', 'divider', 'context'], where).toContain(block.type);
    if (block.type === 'header') {
      expect(block.text.type, where).toBe('plain_text');
      textObject(`${where}.text`, block.text, SLACK_LIMITS.headerText);
    }
    if (block.type === 'section') {
      textObject(`${where}.text`, block.text, SLACK_LIMITS.sectionText);
      expect(block.fields.length, where).toBeLessThanOrEqual(SLACK_LIMITS.sectionFields);
      block.fields.forEach((field: any, j: number) => textObject(`${where}.fields[${j}]`, field, SLACK_LIMITS.fieldText));
    }
    if (block.type === 'context') {
      expect(block.elements.length, where).toBeLessThanOrEqual(SLACK_LIMITS.contextElements);
      block.elements.forEach((element: any, j: number) => textObject(`${where}.elements[${j}]`, element, SLACK_LIMITS.contextText));
    }
  });
  return texts;
}

describe('Slack preset', () => {
  it('is a Block Kit message with fallback text and well-formed blocks', () => {
    for (const event of [linkEvent, aliasEvent]) {
      const body = render('slack', event);
      expect(body.text).toContain(event.artifact_version_string);
      for (const text of slackTexts(body)) expect(text.text.length, text.where).toBeLessThanOrEqual(text.limit);
      const shown = JSON.stringify(body.blocks);
      expect(shown).toContain(JSON.stringify(event.artifact_version_string).slice(1, -1));
      expect(shown).toContain(JSON.stringify(event.event_author).slice(1, -1));
      expect(shown).toContain(event.artifact_version);
    }
    expect(JSON.stringify(render('slack', aliasEvent).blocks)).toContain('Alias: production');
  });

  it('cannot be made to mention anyone, and stays within Block Kit limits, whatever the names and metadata', () => {
    const hostileName = '<!channel> & <@U123>';
    const hostile: TemplateValues = { ...aliasEvent, automation_name: hostileName, event_author: '<!here>' };
    const longest: TemplateValues = {
      ...aliasEvent,
      automation_name: 'x'.repeat(255), // MAX_AUTOMATION_NAME_LENGTH
      event_author: 'u'.repeat(128), // names are at most 128 characters
      entity_name: 't'.repeat(128),
      artifact_collection_name: 'm'.repeat(128),
      alias: 'a'.repeat(128),
      artifact_version_string: `${'t'.repeat(128)}/model-registry/${'m'.repeat(128)}:${'a'.repeat(128)}`,
      artifact_version_index: String(Number.MAX_SAFE_INTEGER),
    };
    const metadata = { description: '<!channel> '.repeat(1000).slice(0, 10_000), notes: 'n'.repeat(10_000) };
    for (const values of [hostile, longest]) {
      const body = render('slack', values, {}, metadata);
      const texts = slackTexts(body);
      for (const text of texts) {
        expect(text.text.length, text.where).toBeLessThanOrEqual(text.limit);
        if (text.type === 'mrkdwn') {
          expect(text.text, text.where).not.toContain('<!');
          expect(text.text, text.where).not.toContain('<@');
        }
      }
    }
    // The hostile name is shown as typed, in plain text.
    const shown = slackTexts(render('slack', hostile, {}, metadata));
    expect(shown.find((t) => t.text.includes(hostileName))?.type).toBe('plain_text');
    expect(shown.find((t) => t.text.includes('<!here>'))?.type).toBe('plain_text');
  });
});

const ADAPTIVE_CARD_ELEMENTS = new Set(['TextBlock', 'FactSet', 'Image', 'ColumnSet', 'Container', 'ActionSet', 'RichTextBlock']);

/** The parts of the Adaptive Card 1.4 schema a Teams Workflows webhook checks, for what the preset uses. */
function expectAdaptiveCardMessage(body: any): any {
  expect(body.type).toBe('message');
  expect(Array.isArray(body.attachments)).toBe(true);
  expect(body.attachments).toHaveLength(1);
  const [attachment] = body.attachments;
  expect(attachment.contentType).toBe('application/vnd.microsoft.card.adaptive');
  expect(attachment.contentUrl).toBeNull();
  const card = attachment.content;
  expect(card.$schema).toBe('http://adaptivecards.io/schemas/adaptive-card.json');
  expect(card.type).toBe('AdaptiveCard');
  expect(card.version).toBe('1.4');
  expect(Array.isArray(card.body)).toBe(true);
  expect(card.body.length).toBeGreaterThan(0);
  for (const element of card.body) {
    expect(ADAPTIVE_CARD_ELEMENTS).toContain(element.type);
    if (element.type === 'TextBlock') {
      expect(typeof element.text).toBe('string');
      if ('wrap' in element) expect(typeof element.wrap).toBe('boolean');
      if ('weight' in element) expect(['Default', 'Lighter', 'Bolder']).toContain(element.weight);
      if ('size' in element) expect(['Default', 'Small', 'Medium', 'Large', 'ExtraLarge']).toContain(element.size);
      if ('isSubtle' in element) expect(typeof element.isSubtle).toBe('boolean');
    }
    if (element.type === 'FactSet') {
      expect(Array.isArray(element.facts)).toBe(true);
      for (const fact of element.facts) {
        expect(Object.keys(fact).sort()).toEqual(['title', 'value']);
        expect(typeof fact.title).toBe('string');
        expect(typeof fact.value).toBe('string');
      }
    }
  }
  if ('actions' in card) {
    expect(Array.isArray(card.actions)).toBe(true);
    for (const action of card.actions) {
      expect(action.type).toBe('Action.OpenUrl');
      expect(typeof action.title).toBe('string');
      expect(new URL(action.url).protocol).toMatch(/^https?:$/);
    }
  }
  return card;
}

describe('Teams preset', () => {
  it('is an Adaptive Card message with a FactSet of author, event, version and alias, and no link without a public URL', () => {
    const card = expectAdaptiveCardMessage(render('teams', aliasEvent));
    const factSet = card.body.find((element: any) => element.type === 'FactSet');
    const facts = Object.fromEntries(factSet.facts.map((f: { title: string; value: string }) => [f.title, f.value]));
    expect(facts).toMatchObject({ Author: aliasEvent.event_author, Event: 'ADD_ARTIFACT_ALIAS', Version: 'v3', Alias: 'production' });
    expect(card.body.filter((element: any) => element.type === 'TextBlock').map((t: any) => t.text).join('\n')).toContain(aliasEvent.artifact_version_string);
    expect(card.actions).toBeUndefined();
  });

  it('opens the version in Modelyard when the public URL is set: the model for registry events, the artifact for CREATE_ARTIFACT', () => {
    const registry = expectAdaptiveCardMessage(render('teams', linkEvent, { publicUrl: PUBLIC_URL }));
    expect(registry.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open in Modelyard', url: 'https://modelyard.example.com/t/acme/registry/classifier' }]);
    const created = expectAdaptiveCardMessage(
      render('teams', { ...linkEvent, event_type: 'CREATE_ARTIFACT', project_name: 'training' }, { publicUrl: 'http://my.host:8080/modelyard', eventType: 'CREATE_ARTIFACT' }),
    );
    expect(created.actions[0].url).toBe('http://my.host:8080/modelyard/t/acme/projects/training/artifacts/classifier?version=v3');
  });

  it('keeps a public URL holding `$`, `"` or `${` literal: it can form neither a placeholder nor a broken document', () => {
    const publicUrl = 'https://host.example/a$b/${NOT_A_SECRET}/"q"';
    const preset = presetById('teams', { publicUrl })!;
    expect(validateTemplate(preset.template, { secrets: [] })).toEqual([]);
    const card = expectAdaptiveCardMessage(render('teams', linkEvent, { publicUrl }));
    expect(card.actions[0].url).toBe('https://host.example/a$b/${NOT_A_SECRET}/"q"/t/acme/registry/classifier');
  });

  it('the legacy connector preset is the MessageCard with author and event type facts', () => {
    const body = render('teams-legacy', aliasEvent);
    expect(presetById('teams-legacy')!.name).toBe('Microsoft Teams (legacy connector)');
    expect(body['@type']).toBe('MessageCard');
    expect(body['@context']).toBe('http://schema.org/extensions');
    expect(body.summary).toContain('ADD_ARTIFACT_ALIAS');
    const facts = Object.fromEntries(body.sections[0].facts.map((f: { name: string; value: string }) => [f.name, f.value]));
    expect(facts).toMatchObject({ Author: aliasEvent.event_author, 'Event Type': 'ADD_ARTIFACT_ALIAS', Alias: 'production', Version: 'v3' });
    expect(body.sections[0].markdown).toBe(true);
  });
});
