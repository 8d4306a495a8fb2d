// How many automation runs a registry change created, for the notice after a link or an alias. The change, its
// events and the runs of every matching automation are written in one transaction, so once the change's answer is
// here its runs exist: they are the runs of the change's events, found by the model, version (and alias) they name.
import { Link } from 'react-router';
import { api, teamPath, withQuery } from '../api/client';
import type { Page, Run } from '../api/types';
import type { Json } from '../api/types';
import { teamUrl } from '../session';

type RegistryEvent = Json<'/api/v1/teams/{team}/events', 'get'>['items'][number];

/** Events and runs looked at: a change makes one LINK_ARTIFACT plus one event per alias, and runs are newest first. */
const LOOKBACK = 100;

export async function countTriggeredRuns(team: string, model: string, change: { version: string; linked: boolean; aliases: string[] }): Promise<number> {
  const events = await api.get<Page<RegistryEvent>>(withQuery(teamPath(team, 'events'), { model, limit: LOOKBACK }));
  const ids = new Set<string>();
  // Newest first: the first matching event of each kind is this change's (an older one may name the same alias).
  if (change.linked) {
    const link = events.items.find((e) => e.type === 'LINK_ARTIFACT' && e.version === change.version);
    if (link) ids.add(link.id);
  }
  for (const alias of change.aliases) {
    const added = events.items.find((e) => e.type === 'ADD_ARTIFACT_ALIAS' && e.version === change.version && e.alias === alias);
    if (added) ids.add(added.id);
  }
  if (ids.size === 0) return 0;
  const runs = await api.get<Page<Run>>(withQuery(teamPath(team, 'runs'), { limit: LOOKBACK }));
  return runs.items.filter((run) => ids.has(run.eventId)).length;
}

/** "2 automations triggered → History" (or that none was). */
export function TriggeredNotice({ team, what, count }: { team: string; what: string; count: number }) {
  if (count === 0) return <>{what} No automation was triggered.</>;
  return (
    <>
      {what} {count === 1 ? '1 automation' : `${count} automations`} triggered → <Link to={teamUrl(team, 'history')}>History</Link>
    </>
  );
}
