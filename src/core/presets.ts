// Ready-made payload templates for the common targets. Each is an ordinary template (validated and rendered like
// any other); test/core/presets.test.ts renders them and checks each target's documented limits.

export interface Preset {
  id: 'github' | 'slack' | 'teams';
  name: string;
  description: string;
  template: string;
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

// Slack incoming webhook with Block Kit; `text` is the fallback shown in notifications.
const SLACK_TEMPLATE = `{
  "text": "\${event_type}: \${artifact_version_string} by \${event_author}",
  "blocks": [
    {
      "type": "header",
      "text": { "type": "plain_text", "text": "Model registry: \${event_type}" }
    },
    {
      "type": "section",
      "text": { "type": "mrkdwn", "text": "*\${artifact_version_string}*" },
      "fields": [
        { "type": "mrkdwn", "text": "*Model*\\n\${artifact_collection_name}" },
        { "type": "mrkdwn", "text": "*Version*\\nv\${artifact_version_index}" },
        { "type": "mrkdwn", "text": "*Alias*\\n\${alias}" },
        { "type": "mrkdwn", "text": "*Author*\\n\${event_author}" }
      ]
    },
    { "type": "divider" },
    {
      "type": "context",
      "elements": [
        { "type": "mrkdwn", "text": "Automation \${automation_name} · team \${entity_name} · \${timestamp}" },
        { "type": "mrkdwn", "text": "Artifact: \${artifact_version}" }
      ]
    }
  ]
}`;

// Microsoft Teams incoming webhook (legacy connector MessageCard), as in the reference system's example.
const TEAMS_TEMPLATE = `{
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

export const PRESETS: Preset[] = [
  {
    id: 'github',
    name: 'GitHub Actions (repository_dispatch)',
    description:
      'POST to https://api.github.com/repos/OWNER/REPO/dispatches with a token that may write to the repository as the access token. The workflow listens with `on: repository_dispatch: types: [LINK_ARTIFACT, ADD_ARTIFACT_ALIAS]`; the event details are in github.event.client_payload.',
    template: GITHUB_TEMPLATE,
  },
  {
    id: 'slack',
    name: 'Slack (incoming webhook)',
    description: "A Block Kit message for a Slack incoming webhook URL (https://hooks.slack.com/services/…); the URL itself is the credential.",
    template: SLACK_TEMPLATE,
  },
  {
    id: 'teams',
    name: 'Microsoft Teams (incoming webhook)',
    description: 'A MessageCard for a Teams channel incoming webhook URL, listing author, event, version, alias and artifact.',
    template: TEAMS_TEMPLATE,
  },
];

export function presetById(id: string): Preset | undefined {
  return PRESETS.find((preset) => preset.id === id);
}
