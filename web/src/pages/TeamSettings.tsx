// Team settings (admins): members and roles, Team secrets (write-only values) and Webhooks (with Test), one file
// per resource under team-settings/.
import { useCallback, useState } from 'react';
import { useTeam } from '../session';
import { PageHead } from '../components/Layout';
import { Members } from './team-settings/Members';
import { TeamSecrets } from './team-settings/Secrets';
import { Webhooks } from './team-settings/Webhooks';
import { AliasPolicies } from './team-settings/AliasPolicies';

export function TeamSettings() {
  const { team, isAdmin } = useTeam();
  // Which webhooks use a secret is shown in the secrets list, so a webhook change reloads it.
  const [webhookChanges, setWebhookChanges] = useState(0);
  const onWebhooksChanged = useCallback(() => setWebhookChanges((n) => n + 1), []);
  if (!isAdmin) {
    return (
      <div className="card">
        <h1>Team settings</h1>
        <p>Only admins of {team} can manage members, secrets and webhooks. Ask one of them if you need a change.</p>
      </div>
    );
  }
  return (
    <>
      <PageHead title="Team settings" sub={`Members, secrets and webhooks of ${team}.`} />
      <Members team={team} />
      <TeamSecrets team={team} webhookChanges={webhookChanges} />
      <Webhooks team={team} onChanged={onWebhooksChanged} />
      <AliasPolicies team={team} />
    </>
  );
}
