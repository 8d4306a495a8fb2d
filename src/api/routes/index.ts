// Every route file, one per resource. Each exports `(app, ctx) => Promise<void>`.
import type { Api } from '../api.js';
import type { AppContext } from '../../context.js';
import health from './health.js';
import session from './session.js';
import users from './users.js';
import teams from './teams.js';
import projects from './projects.js';
import artifacts from './artifacts.js';
import registry from './registry.js';
import events from './events.js';
import queues from './queues.js';
import jobs from './jobs.js';
import agent from './agent.js';
import runs from './runs.js';
import secrets from './secrets.js';
import webhooks from './webhooks.js';
import automations from './automations.js';
import presets from './presets.js';
import stream from './stream.js';
import promotions from './promotions.js';
import checks from './checks.js';
import aliasPolicies from './alias-policies.js';
import eventTypes from './event-types.js';

export type RouteModule = (app: Api, ctx: AppContext) => Promise<void>;

export const routes: RouteModule[] = [
  health,
  session,
  users,
  teams,
  projects,
  artifacts,
  registry,
  events,
  queues,
  jobs,
  agent,
  runs,
  secrets,
  webhooks,
  automations,
  presets,
  stream,
  promotions,
  checks,
  aliasPolicies,
  eventTypes,
];
