// Matching an event to the team's automations and creating one action run per match, inside the event's
// transaction. Implemented in the automations issue; until then no automation exists, so nothing matches.
import type { Tx } from '../db/index.js';
import type { AfterCommit } from '../db/transaction.js';
import type { Event } from '../db/schema.js';

export async function createActionRuns(_tx: Tx, _after: AfterCommit, _event: Event): Promise<number> {
  return 0;
}
