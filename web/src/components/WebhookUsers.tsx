// Before deleting a webhook: the automations that use it, each with a way to change it, since a webhook in use
// cannot be deleted (the server refuses and names them).
import { Link } from 'react-router';
import { api, teamPath } from '../api/client';
import type { Automation, Page } from '../api/types';
import { teamUrl } from '../session';
import { useLoad } from './useLoad';

export function WebhookUsers({ team, webhookId }: { team: string; webhookId: string }) {
  const automations = useLoad(() => api.get<Page<Automation>>(teamPath(team, 'automations')), `${team}|automations|${webhookId}`);
  const users = automations.data?.items.filter((a) => a.action.type === 'webhook' && a.action.webhookId === webhookId) ?? [];
  if (!automations.data) return null;
  if (users.length === 0) return <p>Automations can no longer use it. Deliveries already under way still finish.</p>;
  return (
    <div>
      <p>
        It is used by {users.length === 1 ? 'an automation' : `${users.length} automations`}: point {users.length === 1 ? 'it' : 'them'} at another webhook (or
        delete {users.length === 1 ? 'it' : 'them'}) first.
      </p>
      <ul aria-label="Automations using this webhook">
        {users.map((a) => (
          <li key={a.id}>
            <Link to={teamUrl(team, 'automations', a.id)}>{a.name}</Link> · <Link to={teamUrl(team, 'automations', a.id, 'edit')}>Edit {a.name}</Link>
          </li>
        ))}
      </ul>
    </div>
  );
}
