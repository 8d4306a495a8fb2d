// Checks on model versions: named results (`eval`, `bias-audit`, …) that members, agents and queue jobs report on a
// version — `pending` while running, then `success` or `failure`. A check reaching `success` or `failure` (from
// another state) raises CHECK_COMPLETED; a check reaching `success` applies the version's pending promotion requests
// whose requirements are now met (promotions.ts), in the same transaction.
//
// A queue_job automation with `"check": "eval"` sets the check to `pending` when its job is queued (dispatch) and to
// `success` / `failure` when the job finishes (jobOutcomesWithChecks below wraps the runs-follow-jobs port).
import type { AppContext } from '../context.js';
import type { Tx } from '../db/index.js';
import type { CheckState } from '../db/schema.js';
import type { AfterCommit } from '../db/transaction.js';
import { inTransaction } from '../db/transaction.js';
import { invalid } from '../core/errors.js';
import { checkName } from '../core/names.js';
import type { FinishedJob, JobOutcomes } from '../queues/job-outcomes.js';
import { runsFollowJobs } from '../automations/job-runs.js';
import { checksOf, findVersionRow, lockModel, type CheckView, type GovernedActor, type VersionRow } from './models.js';
import { recordModelEvent } from './model-events.js';
import { parseMetadata } from './sources.js';
import { applyReadyForVersion, type Origin } from './promotions.js';

type Ctx = Pick<AppContext, 'db' | 'notifier' | 'config'>;

export const MAX_SUMMARY_LENGTH = 4000;
export const MAX_DETAILS_URL_LENGTH = 2000;

export interface CheckInput {
  state: CheckState;
  summary: string;
  detailsUrl: string | null;
}

function checkInput(name: string, input: CheckInput): void {
  checkName('name', name);
  if (input.summary.length > MAX_SUMMARY_LENGTH) throw invalid('summary', `must be at most ${MAX_SUMMARY_LENGTH} characters`);
  if (input.detailsUrl !== null) {
    if (input.detailsUrl.length > MAX_DETAILS_URL_LENGTH) throw invalid('detailsUrl', `must be at most ${MAX_DETAILS_URL_LENGTH} characters`);
    let url: URL | undefined;
    try {
      url = new URL(input.detailsUrl);
    } catch {
      url = undefined;
    }
    // Shown as a link in the UI: only http(s), never javascript: and the like.
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw invalid('detailsUrl', 'must be an http(s) URL');
  }
}

/** Sets the check in `tx` (the caller holds the model's lock): the event, and the promotions it may complete. */
async function recordCheck(
  ctx: Ctx,
  tx: Tx,
  after: AfterCommit,
  origin: Origin,
  model: { id: string; name: string },
  version: Pick<VersionRow, 'id' | 'index' | 'artifact_version_id' | 'metadata'>,
  name: string,
  input: CheckInput,
): Promise<void> {
  const previous = await tx
    .selectFrom('model_version_checks')
    .select('state')
    .where('model_version_id', '=', version.id)
    .where('name', '=', name)
    .executeTakeFirst();
  const now = Date.now();
  await tx
    .insertInto('model_version_checks')
    .values({
      model_version_id: version.id,
      name,
      team_id: origin.teamId,
      model_id: model.id,
      state: input.state,
      summary: input.summary,
      details_url: input.detailsUrl,
      updated_by: origin.author,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.columns(['model_version_id', 'name']).doUpdateSet({
        state: input.state,
        summary: input.summary,
        details_url: input.detailsUrl,
        updated_by: origin.author,
        updated_at: now,
      }),
    )
    .execute();
  if (input.state === 'pending' || previous?.state === input.state) return;
  await recordModelEvent(
    tx,
    after,
    ctx.config,
    origin,
    'CHECK_COMPLETED',
    { model, versionIndex: version.index, artifactVersionId: version.artifact_version_id, metadata: parseMetadata(version.metadata) },
    null,
    { checkName: name, checkState: input.state, summary: input.summary },
  );
  if (input.state === 'success') await applyReadyForVersion(ctx, tx, after, origin, model, version.id);
}

export async function setCheck(ctx: Ctx, actor: GovernedActor, modelName: string, versionRef: string, name: string, input: CheckInput): Promise<CheckView> {
  checkInput(name, input);
  return inTransaction(ctx, async (tx, after) => {
    const model = await lockModel(tx, actor.team.id, modelName);
    const version = await findVersionRow(tx, model.id, modelName, versionRef);
    const origin = { teamId: actor.team.id, teamName: actor.team.name, author: actor.user.name, userId: actor.user.id };
    await recordCheck(ctx, tx, after, origin, model, version, name, input);
    return (await checksOf(tx, [version.id])).get(version.id)!.find((check) => check.name === name)!;
  });
}

/** The version a run's check is about: the version of the event that created the run (null when it had none). */
async function runCheckTarget(tx: Tx, runId: string) {
  return tx
    .selectFrom('action_runs as r')
    .innerJoin('events as e', 'e.id', 'r.event_id')
    .innerJoin('registered_models as m', 'm.id', 'e.model_id')
    .innerJoin('teams as t', 't.id', 'r.team_id')
    .innerJoin('model_versions as mv', (join) => join.onRef('mv.model_id', '=', 'm.id').onRef('mv.index', '=', 'e.version_index'))
    .innerJoin('artifact_versions as av', 'av.id', 'mv.artifact_version_id')
    .select(['r.check_name', 'r.job_id', 'r.team_id', 't.name as team_name', 'm.id as model_id', 'm.name as model_name', 'mv.id', 'mv.index', 'mv.artifact_version_id', 'av.metadata'])
    .where('r.id', '=', runId)
    .where('r.check_name', 'is not', null)
    .executeTakeFirst();
}

function jobSummary(job: FinishedJob): string {
  if (job.state === 'succeeded') return `job ${job.id} succeeded`;
  if (job.state === 'cancelled') return `job ${job.id} was cancelled`;
  return `job ${job.id} failed${job.exitCode === null ? '' : ` with exit code ${job.exitCode}`}${job.error ? `: ${job.error}` : ''}`;
}

/**
 * The job outcomes of src/queues (runs follow their jobs), plus the check of the job's automation: `success` for a
 * job that succeeded (exit code 0), `failure` for one that failed or was cancelled, `pending` again when requeued.
 */
export function jobOutcomesWithChecks(ctx: Ctx): JobOutcomes {
  const runs = runsFollowJobs(ctx.config);
  return {
    async finished(tx, after, jobs) {
      await runs.finished(tx, after, jobs);
      for (const job of jobs) {
        const target = await runCheckTarget(tx, job.runId);
        // After a requeue the run follows the newest job; an older job's end says nothing any more.
        if (!target || target.check_name === null || target.job_id !== job.id) continue;
        await lockModel(tx, target.team_id, target.model_name);
        const origin = { teamId: target.team_id, teamName: target.team_name, author: 'modelyard', userId: null };
        const state = job.state === 'succeeded' ? 'success' : 'failure';
        await recordCheck(ctx, tx, after, origin, { id: target.model_id, name: target.model_name }, target, target.check_name, {
          state,
          summary: jobSummary(job),
          detailsUrl: null,
        });
      }
    },
    async requeued(tx, job) {
      await runs.requeued(tx, job);
      const target = await runCheckTarget(tx, job.runId);
      if (!target || target.check_name === null) return;
      await tx
        .updateTable('model_version_checks')
        .set({ state: 'pending', summary: `job ${job.jobId} queued again`, updated_by: 'modelyard', updated_at: Date.now() })
        .where('model_version_id', '=', target.id)
        .where('name', '=', target.check_name)
        .execute();
    },
  };
}
