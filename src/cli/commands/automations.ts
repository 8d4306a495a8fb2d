// `modelyard automations export|diff|apply`: a team's automations kept in a YAML file, reviewed like code and applied
// by name (src/cli/automations-file.ts holds the format and the plan; docs/cli.md documents them).
import fs from 'node:fs';
import { Command } from 'commander';
import { listAll, ok, ApiError, type Automation, type AutomationInput } from '../../client/index.js';
import { connect, emit, remoteCommand, UsageError, type Remote, type RemoteFlags } from '../remote.js';
import type { AutomationSpec, Change, Plan } from '../automations-file.js';

// The file format's modules (yaml, zod) load with the automations commands only.
const loadFormat = () => import('../automations-file.js');

type FileFlags = RemoteFlags & { file: string; prune: boolean };

function listAutomations(remote: Remote): Promise<Automation[]> {
  return listAll((cursor) => ok(remote.api.GET('/api/v1/teams/{team}/automations', { params: { path: { team: remote.team }, query: { cursor } } })));
}

async function readSpecs(file: string): Promise<AutomationSpec[]> {
  const { AutomationsFileError, parseAutomationsFile } = await loadFormat();
  let text: string;
  try {
    text = file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`-f ${file}: ${(error as Error).message}`);
  }
  try {
    return parseAutomationsFile(text, file === '-' ? 'standard input' : file);
  } catch (error) {
    if (error instanceof AutomationsFileError) throw new UsageError(error.message);
    throw error;
  }
}

/** The plan for a file against the team, with every webhook and queue it names checked to exist. */
async function planFor(remote: Remote, flags: FileFlags): Promise<{ plan: Plan; webhookIds: Map<string, string> }> {
  const specs = await readSpecs(flags.file);
  const { planChanges } = await loadFormat();
  const [current, webhooks, queues] = await Promise.all([
    listAutomations(remote),
    listAll((cursor) => ok(remote.api.GET('/api/v1/teams/{team}/webhooks', { params: { path: { team: remote.team }, query: { cursor } } }))),
    listAll((cursor) => ok(remote.api.GET('/api/v1/teams/{team}/queues', { params: { path: { team: remote.team }, query: { cursor } } }))),
  ]);
  const webhookIds = new Map(webhooks.map((w) => [w.name, w.id]));
  const queueNames = new Set(queues.map((q) => q.name));
  const missing: string[] = [];
  for (const spec of specs) {
    if (spec.action.type === 'webhook' && !webhookIds.has(spec.action.webhook)) missing.push(`${spec.name}: no webhook named ${JSON.stringify(spec.action.webhook)}`);
    if (spec.action.type === 'queue_job' && !queueNames.has(spec.action.queue)) missing.push(`${spec.name}: no queue named ${JSON.stringify(spec.action.queue)}`);
  }
  if (missing.length > 0) throw new ApiError(404, 'not_found', `${flags.file} names what team ${remote.team} does not have (create it first):\n  ${missing.join('\n  ')}`);
  return { plan: planChanges(current, specs, flags.prune), webhookIds };
}

function requestBody(spec: AutomationSpec, webhookIds: Map<string, string>): AutomationInput {
  const action: AutomationInput['action'] =
    spec.action.type === 'webhook'
      ? { type: 'webhook', webhookId: webhookIds.get(spec.action.webhook)!, payload: spec.action.payload }
      : spec.action.type === 'queue_job'
        ? { type: 'queue_job', queue: spec.action.queue, template: spec.action.template, check: spec.action.check }
        : { type: 'no_op' };
  return { name: spec.name, description: spec.description, enabled: spec.enabled, event: spec.event, condition: spec.condition, rateLimit: spec.rateLimit, cooldownSeconds: spec.cooldownSeconds, delivery: spec.delivery, action };
}

function planJson(plan: Plan) {
  return {
    changes: plan.changes.map((c) => ({ action: c.kind, name: c.name, ...(c.kind === 'update' ? { fields: c.fields } : {}) })),
    unmanaged: plan.unmanaged,
  };
}

const FILE_HELP = `
The file (YAML; docs/cli.md has the whole format):
  version: 1
  automations:
    - name: deploy-production
      enabled: true
      event: { type: ADD_ARTIFACT_ALIAS, model: classifier, aliasPattern: ^production$ }
      action:
        type: webhook
        webhook: deploy            # the webhook's name
        payload: |
          {"version": "\${artifact_version_string}", "token": "\${DEPLOY_TOKEN}"}
`;

export function registerAutomationsCommands(program: Command): void {
  const automations = program.command('automations').description("a team's automations as code: export to YAML, diff, apply").addHelpText('after', FILE_HELP);

  remoteCommand(automations, 'export', "write the team's automations as YAML (to standard output, or -o FILE)", 'modelyard automations export > automations.yaml')
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .action(async (flags: RemoteFlags & { output?: string }) => {
      const remote = connect(flags);
      const items = await listAutomations(remote);
      if (remote.json) {
        emit(remote, items, () => '');
        return;
      }
      const text = (await loadFormat()).renderAutomationsFile(items, remote.team);
      if (flags.output) {
        fs.writeFileSync(flags.output, text);
        process.stderr.write(`wrote ${items.length} automation${items.length === 1 ? '' : 's'} to ${flags.output}\n`);
      } else {
        process.stdout.write(text);
      }
    });

  remoteCommand(
    automations,
    'diff',
    'show what `apply` would do, by name: + create, ~ update (with the fields), - delete (with --prune)',
    'modelyard automations diff -f automations.yaml',
  )
    .requiredOption('-f, --file <file>', 'the automations file (- for standard input)')
    .option('--prune', 'also plan to delete the automations the file does not hold', false)
    .action(async (flags: FileFlags) => {
      const remote = connect(flags);
      const { plan } = await planFor(remote, flags);
      const { describePlan } = await loadFormat();
      emit(remote, planJson(plan), () => describePlan(plan));
    });

  remoteCommand(
    automations,
    'apply',
    'make the team hold what the file says: each automation in its own request, stopping at the first error',
    'modelyard automations apply -f automations.yaml\nmodelyard automations apply -f automations.yaml --prune   # also delete what the file no longer holds',
  )
    .requiredOption('-f, --file <file>', 'the automations file (- for standard input)')
    .option('--prune', 'delete the automations the file does not hold', false)
    .action(async (flags: FileFlags) => {
      const remote = connect(flags);
      const { plan, webhookIds } = await planFor(remote, flags);
      const applied: Change[] = [];
      const line = (c: Change) => `${c.kind === 'create' ? 'created' : c.kind === 'update' ? 'updated' : 'deleted'} ${c.name}`;
      for (const change of plan.changes) {
        try {
          if (change.kind === 'create') {
            await ok(remote.api.POST('/api/v1/teams/{team}/automations', { params: { path: { team: remote.team } }, body: requestBody(change.spec, webhookIds) }));
          } else if (change.kind === 'update') {
            await ok(
              remote.api.PATCH('/api/v1/teams/{team}/automations/{id}', { params: { path: { team: remote.team, id: change.id } }, body: requestBody(change.spec, webhookIds) }),
            );
          } else {
            await ok(remote.api.DELETE('/api/v1/teams/{team}/automations/{id}', { params: { path: { team: remote.team, id: change.id } } }));
          }
        } catch (error) {
          const notApplied = plan.changes.slice(applied.length + 1).map((c) => `${c.kind} ${c.name}`);
          const message = error instanceof Error ? error.message : String(error);
          const summary = [
            `${change.kind} ${change.name} failed: ${message}`,
            applied.length ? `applied before it: ${applied.map(line).join(', ')}` : 'nothing was applied before it',
            ...(notApplied.length ? [`not applied: ${notApplied.join(', ')}`] : []),
          ].join('\n');
          if (error instanceof ApiError) throw new ApiError(error.status, error.code, summary, { ...error.details, applied: applied.map((c) => ({ action: c.kind, name: c.name })), failed: { action: change.kind, name: change.name } });
          throw new Error(summary, { cause: error });
        }
        applied.push(change);
        if (!remote.json) process.stdout.write(`${line(change)}\n`);
      }
      if (remote.json) emit(remote, { applied: applied.map((c) => ({ action: c.kind, name: c.name })), unmanaged: plan.unmanaged }, () => '');
      else if (applied.length === 0) process.stdout.write('no changes\n');
      if (!remote.json && plan.unmanaged.length > 0) process.stdout.write(`not in the file, kept (--prune deletes them): ${plan.unmanaged.join(', ')}\n`);
    });
}
