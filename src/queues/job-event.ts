// The event a job was created for, as the job carries it (jobs.event, a JSON document written by automation dispatch
// when it enqueues the job): shown in the API's job views and the agent's claim answer, and exported by the agent as
// MODELYARD_EVENT_TYPE, MODELYARD_MODEL, … so a script can always tell which version it was started for, whatever
// its template's field names.
import type { EventType } from '../db/schema.js';

export interface JobEvent {
  type: EventType;
  /** The registered model's (or, for CREATE_ARTIFACT, the artifact's) name. */
  model: string;
  /** `v<index>`, or null for an event without a version. */
  version: string | null;
  /** The alias of an alias event (and of an AUTOMATION_FAILED raised for one's run), else null. */
  alias: string | null;
  /** `<team>/<project>/<model>:<version or alias>`, exactly as ${artifact_version_string} rendered in the payload. */
  artifactVersionString: string;
  author: string;
  eventId: string;
}

/** The stored column back as an object; null for hand-made jobs (and, defensively, for text that is not an object). */
export function parseJobEvent(text: string | null): JobEvent | null {
  if (text === null) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as JobEvent) : null;
  } catch {
    return null;
  }
}
