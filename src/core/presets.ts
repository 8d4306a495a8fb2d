// Ready-made payload templates for the common targets, served by GET /api/v1/presets (the wizard, the CLI and scripts
// use the same ones). Each is an ordinary template (validated and rendered like any other); test/core/presets.test.ts
// renders them and checks each target's documented format and limits.
//
// A template is filled by a generic JSON-string substitution: a value is JSON-escaped, never escaped for the target's
// own markup and never shortened. So the presets put text that a user chose (the automation's name) only where the
// target reads it as plain text, and only variables whose length is bounded where the target limits lengths.

export type PresetId = 'github' | 'slack' | 'teams' | 'teams-legacy';

export interface Preset {
  id: PresetId;
  name: string;
  /** What the preset is for and what the receiving side needs; shown under the wizard's preset picker. */
  description: string;
  /** The event types the preset is written for. */
  eventTypes: PresetEventType[];
  template: string;
  /** What goes with the preset on the receiving side (GitHub: the workflow file), or null. */
  example: { title: string; language: string; text: string } | null;
  /**
   * Custom headers the target documents for its API, for the wizard and the CLI to prefill on the webhook (headers
   * belong to the webhook, not to the automation's payload). Empty when the target needs none.
   */
  suggestedHeaders: Array<{ name: string; value: string }>;
}

// GitHub's REST API asks clients to send its media type and to pin the API version (docs.github.com "API versions").
const GITHUB_HEADERS = [
  { name: 'Accept', value: 'application/vnd.github+json' },
  { name: 'X-GitHub-Api-Version', value: '2022-11-28' },
];

/** The automation event types (src/automations/automations.ts AUTOMATION_EVENT_TYPES; core imports nothing from there). */
export const PRESET_EVENT_TYPES = ['LINK_ARTIFACT', 'ADD_ARTIFACT_ALIAS', 'UNLINK_ARTIFACT', 'CREATE_ARTIFACT', 'AUTOMATION_FAILED'] as const;
export type PresetEventType = (typeof PRESET_EVENT_TYPES)[number];

export interface PresetOptions {
  /** MODELYARD_PUBLIC_URL: with it, messages link to the version in Modelyard; without it they carry no link. */
  publicUrl?: string | undefined;
  /**
   * The event the automation listens to. A link names a registered model's page for registry events and the
   * artifact's page for CREATE_ARTIFACT (whose collection is an artifact in a project); default LINK_ARTIFACT.
   */
  eventType?: PresetEventType | undefined;
}

// GitHub's repository_dispatch: `event_type` ≤ 100 characters and at most 10 top-level keys in `client_payload`.
// `event_type` is the Modelyard event so a workflow can select it with `on: repository_dispatch: types: [...]`.
const GITHUB_TEMPLATE = `{
  "event_type": "\${event_type}",
  "client_payload": {
    "event_author": "\${event_author}",
    "artifact_version": "\${artifact_version}",
    "artifact_version_string": "\${artifact_version_string}",
    "artifact_collection_name": "\${artifact_collection_name}",
    "artifact_version_index": "\${artifact_version_index}",
    "alias": "\${alias}",
    "project_name": "\${project_name}",
    "entity_name": "\${entity_name}",
    "automation_name": "\${automation_name}",
    "event_id": "\${event_id}"
  }
}`;

const GITHUB_WORKFLOW = `# .github/workflows/modelyard.yml
name: Modelyard
on:
  repository_dispatch:
    # The event types to run for: each must equal an event_type the webhook sends.
    types: [LINK_ARTIFACT, ADD_ARTIFACT_ALIAS]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Deploy the version
        env:
          MODEL_VERSION: \${{ github.event.client_payload.artifact_version_string }}
          ALIAS: \${{ github.event.client_payload.alias }}
        run: echo "Deploying $MODEL_VERSION ($ALIAS)"
`;

// Slack incoming webhook with Block Kit. Every element that shows an event value is `plain_text`: Slack reads it
// literally, so `<!channel>`, `<@U123>` or `<https://…|…>` in an automation's name cannot ping anyone or disguise a
// link, and `&`, `<`, `>` show as typed (mrkdwn would need them escaped, which a JSON substitution cannot do). The
// top-level `text` (the notification fallback, read as mrkdwn) carries only names (letters, digits, `-`, `_`, `.`)
// and the event type. Lengths: every value used is bounded (names ≤ 128 characters, the automation's name ≤ 255),
// so each text stays far below Slack's limits (header 150, section text 3000, field 2000, context element 3000); see
// SLACK_LIMITS and the test. Metadata (`\${artifact_metadata.KEY}`, unbounded user input) is deliberately left out.
const SLACK_TEMPLATE = `{
  "text": "\${event_type}: \${artifact_version_string}",
  "blocks": [
    {
      "type": "header",
      "text": { "type": "plain_text", "text": "Model registry: \${event_type}", "emoji": false }
    },
    {
      "type": "section",
      "text": { "type": "plain_text", "text": "\${artifact_version_string}", "emoji": false },
      "fields": [
        { "type": "plain_text", "text": "Model: \${artifact_collection_name}", "emoji": false },
        { "type": "plain_text", "text": "Version: v\${artifact_version_index}", "emoji": false },
        { "type": "plain_text", "text": "Alias: \${alias}", "emoji": false },
        { "type": "plain_text", "text": "Author: \${event_author}", "emoji": false }
      ]
    },
    { "type": "divider" },
    {
      "type": "context",
      "elements": [
        { "type": "plain_text", "text": "Automation: \${automation_name}", "emoji": false },
        { "type": "plain_text", "text": "Team \${entity_name} · \${timestamp}", "emoji": false },
        { "type": "plain_text", "text": "Artifact: \${artifact_version}", "emoji": false }
      ]
    }
  ]
}`;

/** Block Kit's documented limits that the Slack preset must respect (https://api.slack.com/reference/block-kit). */
export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  contextElements: 10,
  contextText: 3000,
  fallbackText: 40_000,
} as const;

// Microsoft Teams, Workflows webhook ("Post to a channel when a webhook request is received"): a message with one
// Adaptive Card attachment. The Workflows that replaced Office 365 connectors accept only this form. TextBlocks
// render a small Markdown subset but have no mentions, so user text cannot ping anyone.
function teamsTemplate(openUrl: string | null): string {
  const actions = openUrl === null ? '' : `,
        "actions": [
          { "type": "Action.OpenUrl", "title": "Open in Modelyard", "url": "${openUrl}" }
        ]`;
  return `{
  "type": "message",
  "attachments": [
    {
      "contentType": "application/vnd.microsoft.card.adaptive",
      "contentUrl": null,
      "content": {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
          { "type": "TextBlock", "text": "Modelyard: \${event_type}", "weight": "Bolder", "size": "Medium", "wrap": true },
          { "type": "TextBlock", "text": "\${artifact_version_string}", "wrap": true },
          { "type": "TextBlock", "text": "Automation \${automation_name} fired for \${artifact_collection_name}.", "isSubtle": true, "wrap": true },
          {
            "type": "FactSet",
            "facts": [
              { "title": "Author", "value": "\${event_author}" },
              { "title": "Event", "value": "\${event_type}" },
              { "title": "Version", "value": "v\${artifact_version_index}" },
              { "title": "Alias", "value": "\${alias}" },
              { "title": "Time", "value": "\${timestamp}" }
            ]
          }
        ]${actions}
      }
    }
  ]
}`;
}

// The retired Office 365 connector's MessageCard, as in the reference system's example; connectors that still run
// accept it, Workflows do not.
const TEAMS_LEGACY_TEMPLATE = `{
  "@type": "MessageCard",
  "@context": "http://schema.org/extensions",
  "summary": "\${event_type}: \${artifact_version_string}",
  "themeColor": "0076D7",
  "sections": [
    {
      "activityTitle": "Modelyard: \${event_type}",
      "activitySubtitle": "\${artifact_version_string}",
      "text": "Automation **\${automation_name}** fired for \${artifact_collection_name}.",
      "facts": [
        { "name": "Author", "value": "\${event_author}" },
        { "name": "Event Type", "value": "\${event_type}" },
        { "name": "Version", "value": "v\${artifact_version_index}" },
        { "name": "Alias", "value": "\${alias}" },
        { "name": "Artifact", "value": "\${artifact_version}" },
        { "name": "Time", "value": "\${timestamp}" }
      ],
      "markdown": true
    }
  ]
}`;

/**
 * The UI page of the event's version, as text for a JSON string in a template: the public URL JSON-escaped, with
 * each `$` written `\u0024` so it can never begin a placeholder, followed by the page's path built from variables
 * that are names (letters, digits, `-`, `_`, `.` — nothing a URL must escape).
 */
function versionPageUrl(publicUrl: string, eventType: PresetEventType): string {
  const base = JSON.stringify(publicUrl.replace(/\/+$/, '')).slice(1, -1).replaceAll('$', '\\u0024');
  if (eventType === 'CREATE_ARTIFACT') {
    return `${base}/t/\${entity_name}/projects/\${project_name}/artifacts/\${artifact_collection_name}?version=v\${artifact_version_index}`;
  }
  return `${base}/t/\${entity_name}/registry/\${artifact_collection_name}`;
}

/** Every preset, with links into Modelyard when `publicUrl` is given. */
export function listPresets(options: PresetOptions = {}): Preset[] {
  const eventType = options.eventType ?? 'LINK_ARTIFACT';
  const openUrl = options.publicUrl ? versionPageUrl(options.publicUrl, eventType) : null;
  return [
    {
      id: 'github',
      name: 'GitHub Actions (repository_dispatch)',
      description:
        'Starts a GitHub Actions workflow. Webhook URL: https://api.github.com/repos/OWNER/REPO/dispatches. Access token: a fine-grained personal access token with the repository permission "Contents: write" on that repository (GitHub answers 404 without it). ' +
        'The payload\'s event_type is the Modelyard event type (LINK_ARTIFACT, ADD_ARTIFACT_ALIAS, …): a workflow runs only when event_type matches one of its on.repository_dispatch.types, so list those event types there, as in the workflow below. ' +
        'The event details are in github.event.client_payload (GitHub allows at most 10 keys there). ' +
        'Give the webhook the suggested headers (Accept: application/vnd.github+json, X-GitHub-Api-Version: 2022-11-28), as GitHub asks of API clients.',
      eventTypes: [...PRESET_EVENT_TYPES],
      template: GITHUB_TEMPLATE,
      example: { title: 'Workflow in the repository', language: 'yaml', text: GITHUB_WORKFLOW },
      suggestedHeaders: GITHUB_HEADERS.map((header) => ({ ...header })),
    },
    {
      id: 'slack',
      name: 'Slack (incoming webhook)',
      description:
        'A Block Kit message for a Slack incoming webhook URL (https://hooks.slack.com/services/…); the URL itself is the credential. Event values are sent as plain text, so names cannot mention a channel or a person.',
      eventTypes: [...PRESET_EVENT_TYPES],
      template: SLACK_TEMPLATE,
      example: null,
      suggestedHeaders: [],
    },
    {
      id: 'teams',
      name: 'Microsoft Teams (Workflows webhook)',
      description:
        'An Adaptive Card for a Teams Workflows webhook (the workflow "Post to a channel when a webhook request is received"), with author, event, version and alias' +
        (openUrl === null ? '. Set MODELYARD_PUBLIC_URL on the server to add a button that opens the version in Modelyard.' : ', and a button that opens the version in Modelyard.'),
      eventTypes: [...PRESET_EVENT_TYPES],
      template: teamsTemplate(openUrl),
      example: null,
      suggestedHeaders: [],
    },
    {
      id: 'teams-legacy',
      name: 'Microsoft Teams (legacy connector)',
      description:
        'A MessageCard for a channel\'s Office 365 incoming webhook connector (retired by Microsoft; Workflows webhooks refuse it — use "Microsoft Teams (Workflows webhook)" for those).',
      eventTypes: [...PRESET_EVENT_TYPES],
      template: TEAMS_LEGACY_TEMPLATE,
      example: null,
      suggestedHeaders: [],
    },
  ];
}

export function presetById(id: string, options: PresetOptions = {}): Preset | undefined {
  return listPresets(options).find((preset) => preset.id === id);
}
