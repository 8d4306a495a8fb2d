// What a job's process sees, decided without I/O: which command runs (the agent's own COMMAND, or an entry of the
// allow-list the job names — never a command sent by the server) and its environment.
import { z } from 'zod';
import type { JobEvent } from './api-client.js';

export const AgentConfigFile = z.object({
  commands: z
    .record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'command names use letters, digits, ".", "_", "-"'), z.array(z.string()).min(1))
    .refine((commands) => Object.keys(commands).length > 0, 'name at least one command'),
});
export type AgentConfig = z.infer<typeof AgentConfigFile>;

export class JobRejected extends Error {}

/** The argv to run for a job: the agent's fixed command, or the allow-listed command the payload names. */
export function commandFor(payload: Record<string, unknown>, fixed: string[] | undefined, config: AgentConfig | undefined): string[] {
  if (fixed && fixed.length > 0) return fixed;
  if (!config) throw new JobRejected('this agent has neither a COMMAND nor an allow-list');
  const allowed = Object.keys(config.commands).sort().join(', ');
  const name = payload.command;
  if (typeof name !== 'string') {
    throw new JobRejected(`the job payload has no "command" field naming one of this agent's commands (${allowed})`);
  }
  // Own properties only: "constructor" or "__proto__" must not resolve to anything.
  if (!Object.hasOwn(config.commands, name)) {
    throw new JobRejected(`command "${name.slice(0, 100)}" is not in this agent's allow-list (${allowed}); it was not run`);
  }
  return config.commands[name]!;
}

/** `artifact_version_string` → `MODELYARD_ARTIFACT_VERSION_STRING`; undefined for keys that make no usable name. */
export function envNameFor(key: string): string | undefined {
  const name = key.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  if (name === '' || /^_+$/.test(name)) return undefined;
  return `MODELYARD_${name}`;
}

export interface JobEnvInput {
  base: NodeJS.ProcessEnv;
  jobId: string;
  attempt: number;
  payloadText: string;
  payload: Record<string, unknown>;
  url: string;
  apiKey: string;
  team: string;
  queue: string;
  event: JobEvent | null;
}

/** The variables that say which event (and version) the job was started for, whatever its template's fields are. */
export function eventEnv(event: JobEvent | null): Record<string, string | undefined> {
  return {
    MODELYARD_EVENT_TYPE: event?.type,
    MODELYARD_ARTIFACT_VERSION_STRING: event?.artifactVersionString,
    MODELYARD_MODEL: event?.model,
    MODELYARD_VERSION: event?.version ?? (event ? '' : undefined),
    MODELYARD_ALIAS: event?.alias ?? (event ? '' : undefined),
    MODELYARD_EVENT_AUTHOR: event?.author,
    MODELYARD_EVENT_ID: event?.eventId,
  };
}

/**
 * The job's environment: the agent's own, then one MODELYARD_<KEY> per top-level string or number field of the
 * payload, then the event variables (eventEnv), then the fixed variables — set last, so a payload field named `url`
 * or `job_id` cannot redirect the script's API calls or disguise the job.
 *
 * The event variables are always set. For a job an automation created they hold its event and win over payload fields
 * of the same name (a template field `model` cannot make MODELYARD_MODEL name another model); a job enqueued by hand
 * has no event, so each is what the payload gave it, else empty (never a value inherited from the agent's own
 * environment).
 */
export function jobEnv(input: JobEnvInput): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...input.base };
  const fromPayload: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.payload)) {
    if (typeof value !== 'string' && typeof value !== 'number') continue;
    const name = envNameFor(key);
    if (name) fromPayload[name] = String(value);
  }
  Object.assign(env, fromPayload);
  for (const [name, value] of Object.entries(eventEnv(input.event))) env[name] = value ?? fromPayload[name] ?? '';
  Object.assign(env, {
    MODELYARD_JOB_ID: input.jobId,
    MODELYARD_JOB_ATTEMPT: String(input.attempt),
    MODELYARD_JOB: input.payloadText,
    MODELYARD_URL: input.url,
    MODELYARD_API_KEY: input.apiKey,
    MODELYARD_TEAM: input.team,
    MODELYARD_QUEUE: input.queue,
  });
  return env;
}
