// The optimistic alias move (src/registry/alias-move.ts): what it read must still hold when its one statement writes,
// or it writes nothing and reads again. Each race is staged between the read and the write by hand (readMove, a change
// over HTTP, writeMove), so the outcome does not depend on timing; a property test then fires random moves, removals,
// rollbacks and compare-and-sets at one model concurrently and checks the history, the events and the runs agree with
// where the alias ended. Both databases.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOVE_INSERTS, readMove, writeMove, type MoveRequest } from '../../src/registry/alias-move.js';
import { planRuns } from '../../src/automations/dispatch.js';
import type { AfterCommit } from '../../src/db/transaction.js';
import { createTeamWithRoles, expectStatus, Receiver, startTestServer, type Client, type TestServer } from '../helpers/index.js';
import { seedRegistry } from '../helpers/registry.js';
import { createAutomation, createWebhook, webhookAutomation } from '../helpers/automations.js';

let server: TestServer;
let receiver: Receiver;
let team: string;
let teamId: string;
let admin: Client;
let member: Client & { userName: string };
let viewer: Client;
let origin: { teamId: string; author: string; userId: string };
let webhookId: string;

beforeAll(async () => {
  server = await startTestServer({ role: 'api' });
  receiver = await new Receiver().start();
  const roles = await createTeamWithRoles(server);
  ({ team, admin, member, viewer } = roles);
  await seedRegistry(member, team, 4);
  webhookId = await createWebhook(admin, team, { name: 'deploy', url: receiver.url() });
  teamId = (await server.ctx.db.selectFrom('teams').select('id').where('name', '=', team).executeTakeFirstOrThrow()).id;
  const user = await server.ctx.db.selectFrom('users').select('id').where('name', '=', member.userName).executeTakeFirstOrThrow();
  origin = { teamId, author: member.userName, userId: user.id };
});
afterAll(async () => {
  await receiver.close();
  await server.close();
});

const base = () => `/api/v1/teams/${team}/registry/models`;
let modelCounter = 0;

/** A fresh model with v0..v(count-1), `production` on v0, and an automation on its alias events. */
async function freshModel(count = 3, holder: string | null = 'v0'): Promise<string> {
  const name = `move${++modelCounter}`;
  expectStatus(await member.post(base(), { name }), 201, 'creating a model');
  for (let i = 0; i < count; i++) expectStatus(await member.post(`${base()}/${name}/versions`, { source: `training/resnet:v${i}` }), 201, 'linking');
  if (holder) expectStatus(await member.put(`${base()}/${name}/aliases/production`, { version: holder }), 200, 'placing the alias');
  await createAutomation(admin, team, onModel(`deploy-${name}`, name, '{"v":"${artifact_version_string}","from":"${previous_version}"}'));
  return name;
}

/** An automation on the alias events of one model, sending `payload` to the test's webhook. */
function onModel(name: string, model: string, payload = '{}', extra: Record<string, unknown> = {}) {
  const body = webhookAutomation({ name, eventType: 'ADD_ARTIFACT_ALIAS', webhookId, payload });
  return { ...body, event: { type: 'ADD_ARTIFACT_ALIAS', model }, ...extra };
}

/** What a move writes, counted for one model: history entries, alias events, runs of its automation. */
async function written(model: string) {
  const { db } = server.ctx;
  const modelId = (await db.selectFrom('registered_models').select('id').where('team_id', '=', teamId).where('name', '=', model).executeTakeFirst())?.id ?? '';
  const history = await db.selectFrom('model_alias_history').select(['version_index', 'previous_index', 'reason', 'created_at', 'id']).where('model_id', '=', modelId).orderBy('created_at').orderBy('id').execute();
  const events = await db.selectFrom('events').select(['id', 'type', 'details', 'version_index']).where('model_id', '=', modelId).where('type', 'in', ['ADD_ARTIFACT_ALIAS', 'REMOVE_ARTIFACT_ALIAS']).execute();
  const runs = await db.selectFrom('action_runs').select(['event_id', 'body']).where('automation_name', '=', `deploy-${model}`).execute();
  const holder = await db
    .selectFrom('model_aliases as ma')
    .innerJoin('model_versions as mv', 'mv.id', 'ma.model_version_id')
    .select('mv.index')
    .where('ma.model_id', '=', modelId)
    .where('ma.alias', '=', 'production')
    .executeTakeFirst();
  return { history, events, runs, holder: holder?.index ?? null };
}

const signals: AfterCommit = { notify: () => undefined };
const request = (model: string, versionRef: string, expectedIndex?: number | null): MoveRequest => ({ teamId, modelName: model, alias: 'production', versionRef, expectedIndex });

/**
 * Reads the move, lets `meanwhile` change something, then writes it: the write must find out, answer `stale` and write
 * nothing. Resolves to what the model holds afterwards.
 */
async function raced(model: string, versionRef: string, meanwhile: () => Promise<void>) {
  const plan = await readMove(server.ctx.db, request(model, versionRef));
  await meanwhile();
  const before = await written(model);
  const outcome = await writeMove(server.ctx.db, plan, signals, request(model, versionRef), origin);
  const after = await written(model);
  expect(outcome).toEqual({ kind: 'stale' });
  expect(after).toEqual(before);
  return after;
}

describe('the optimistic move', () => {
  it('writes the alias, its history, its event and its runs when nothing changed since the read', async () => {
    const model = await freshModel();
    const before = await written(model);
    const plan = await readMove(server.ctx.db, request(model, 'v2'));
    const outcome = await writeMove(server.ctx.db, plan, signals, request(model, 'v2'), origin);
    expect(outcome).toMatchObject({ kind: 'done', change: 'moved' });
    const after = await written(model);
    expect(after.holder).toBe(2);
    expect(after.history.length - before.history.length).toBe(1);
    expect(after.history.at(-1)).toMatchObject({ version_index: 2, previous_index: 0, reason: 'set' });
    expect(after.events.length - before.events.length).toBe(1);
    expect(after.runs.length - before.runs.length).toBe(1);
    const newest = after.runs.find((run) => !before.runs.some((old) => old.event_id === run.event_id));
    expect(JSON.parse(newest!.body)).toEqual({ v: `${team}/model-registry/${model}:production`, from: 'v0' });
  });

  it('inserts every column of the rows it builds (a column added to a table must be added to MOVE_INSERTS too)', async () => {
    const model = await freshModel();
    const plan = await readMove(server.ctx.db, request(model, 'v1'));
    const event = (await server.ctx.db.selectFrom('events').selectAll().where('type', '=', 'ADD_ARTIFACT_ALIAS').limit(1).executeTakeFirstOrThrow());
    const history = await server.ctx.db.selectFrom('model_alias_history').selectAll().limit(1).executeTakeFirstOrThrow();
    const { runs } = planRuns(event, plan.matches, Date.now());
    expect(runs.length).toBeGreaterThan(0);
    const columns = Object.fromEntries(MOVE_INSERTS.map(({ table, columns }) => [table, [...columns].sort()]));
    expect(columns.action_runs).toEqual(Object.keys(runs[0]!).sort());
    expect(columns.events).toEqual(Object.keys(event).sort());
    expect(columns.model_alias_history).toEqual(Object.keys(history).sort());
  });

  it('writes nothing when the alias moved after the read', async () => {
    const model = await freshModel();
    const after = await raced(model, 'v2', async () => {
      expectStatus(await member.put(`${base()}/${model}/aliases/production`, { version: 'v1' }), 200, 'moving it meanwhile');
    });
    expect(after.holder).toBe(1);
  });

  it('writes nothing when the alias was removed after the read, or created by someone else where it did not exist', async () => {
    const removed = await freshModel();
    await raced(removed, 'v2', async () => {
      expectStatus(await member.delete(`${base()}/${removed}/aliases/production`), 204, 'removing it meanwhile');
    });

    const fresh = await freshModel(3, null);
    const second = await raced(fresh, 'v2', async () => {
      expectStatus(await member.put(`${base()}/${fresh}/aliases/production`, { version: 'v1' }), 200, 'creating it meanwhile');
    });
    expect(second.holder).toBe(1);
  });

  it('writes nothing when the alias was removed and put back where it was after the read (the history would run out of order)', async () => {
    const model = await freshModel();
    const after = await raced(model, 'v2', async () => {
      expectStatus(await member.delete(`${base()}/${model}/aliases/production`), 204, 'removing it meanwhile');
      expectStatus(await member.put(`${base()}/${model}/aliases/production`, { version: 'v0' }), 200, 'putting it back');
    });
    expect(after.holder).toBe(0);
  });

  it('writes nothing when the target version was unlinked after the read', async () => {
    const model = await freshModel();
    await raced(model, 'v2', async () => {
      expectStatus(await member.delete(`${base()}/${model}/versions/v2`), 204, 'unlinking it meanwhile');
    });
  });

  it('writes nothing when the automations it matched changed after the read: disabled, edited or added', async () => {
    const model = await freshModel();
    const automation = (await admin.get(`/api/v1/teams/${team}/automations?limit=500`)).body.items.find((a: any) => a.name === `deploy-${model}`)!;
    const changes: Array<() => Promise<void>> = [
      async () => void expectStatus(await admin.patch(`/api/v1/teams/${team}/automations/${automation.id}`, { enabled: false }), 200, 'disabling'),
      async () => void expectStatus(await admin.patch(`/api/v1/teams/${team}/automations/${automation.id}`, { enabled: true }), 200, 're-enabling'),
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 2)); // a new updated_at, even on a fast machine
        expectStatus(await admin.patch(`/api/v1/teams/${team}/automations/${automation.id}`, { description: 'edited' }), 200, 'editing');
      },
      async () => void (await createAutomation(admin, team, onModel(`second-${model}`, model))),
    ];
    for (const change of changes) await raced(model, 'v2', change);
    // And over HTTP, with nothing racing it, the move goes through with both automations.
    expectStatus(await member.put(`${base()}/${model}/aliases/production`, { version: 'v2' }), 200, 'moving');
    expect((await written(model)).holder).toBe(2);
  });

  it('leaves governed aliases and automations that need the event transaction to the locked path', async () => {
    const governed = await freshModel();
    expectStatus(await admin.post(`/api/v1/teams/${team}/registry/alias-policies`, { aliasPattern: '^production$', model: governed, setBy: 'member' }), 201, 'a policy');
    const plan = await readMove(server.ctx.db, request(governed, 'v1'));
    expect(await writeMove(server.ctx.db, plan, signals, request(governed, 'v1'), origin)).toEqual({ kind: 'locked' });

    const limited = await freshModel();
    await createAutomation(admin, team, onModel(`limited-${limited}`, limited, '{}', { rateLimit: { max: 5, perSeconds: 60 } }));
    const limitedPlan = await readMove(server.ctx.db, request(limited, 'v1'));
    expect(await writeMove(server.ctx.db, limitedPlan, signals, request(limited, 'v1'), origin)).toEqual({ kind: 'locked' });

    // Both still move over HTTP, through the locked path.
    for (const model of [governed, limited]) {
      expectStatus(await member.put(`${base()}/${model}/aliases/production`, { version: 'v1' }), 200, 'moving');
      expect((await written(model)).holder).toBe(1);
    }
  });

  it('answers a compare-and-set from what it read, and a repeated move as unchanged without writing', async () => {
    const model = await freshModel();
    const before = await written(model);
    const plan = await readMove(server.ctx.db, request(model, 'v0', 1));
    await expect(writeMove(server.ctx.db, plan, signals, request(model, 'v0', 1), origin)).rejects.toMatchObject({ code: 'alias_moved' });
    const again = await readMove(server.ctx.db, request(model, 'v0'));
    expect(await writeMove(server.ctx.db, again, signals, request(model, 'v0'), origin)).toMatchObject({ kind: 'done', change: 'unchanged' });
    expect(await written(model)).toEqual(before);
  });
});

describe('who reaches the move', () => {
  it("never fires another team's automations, and nobody outside the team or below member moves the alias", async () => {
    const model = await freshModel();
    // Another team: a model of the same name and an automation on every alias event of its whole registry.
    const other = await createTeamWithRoles(server);
    await seedRegistry(other.member, other.team, 2);
    expectStatus(await other.member.post(`/api/v1/teams/${other.team}/registry/models`, { name: model }), 201, 'a model of the same name');
    const theirHook = await createWebhook(other.admin, other.team, { name: 'theirs', url: receiver.url() });
    await createAutomation(other.admin, other.team, webhookAutomation({ name: 'theirs', eventType: 'ADD_ARTIFACT_ALIAS', webhookId: theirHook, payload: '{}' }));

    expectStatus(await member.put(`${base()}/${model}/aliases/production`, { version: 'v1' }), 200, 'moving');
    const theirRuns = await server.ctx.db.selectFrom('action_runs').select('id').where('automation_name', '=', 'theirs').execute();
    expect(theirRuns).toEqual([]);

    const before = await written(model);
    const path = `${base()}/${model}/aliases/production`;
    expect((await viewer.put(path, { version: 'v2' })).status).toBe(403);
    expect([403, 404]).toContain((await other.admin.put(path, { version: 'v2' })).status);
    // Their own model of that name has no versions: their move cannot reach ours.
    expect((await other.member.put(`/api/v1/teams/${other.team}/registry/models/${model}/aliases/production`, { version: 'v2' })).status).toBe(404);
    expect(await written(model)).toEqual(before);
  });

  it('answers hostile bodies with a 4xx naming the problem and writes nothing', async () => {
    const model = await freshModel();
    const path = `${base()}/${model}/aliases/production`;
    const before = await written(model);
    const hostile = fc.oneof(
      fc.string(),
      fc.constantFrom('v\u0000', 'v1\u0000', '\ud800', 'x'.repeat(100_000), 'v-1', 'v99999999999999999999', 'latest', ''),
      fc.jsonValue({ maxDepth: 3 }),
      fc.constant(JSON.parse('['.repeat(200) + ']'.repeat(200)) as unknown),
    );
    await fc.assert(
      fc.asyncProperty(hostile, fc.option(hostile, { nil: undefined }), async (version, expectedVersion) => {
        const reply = await member.put(path, expectedVersion === undefined ? { version } : { version, expectedVersion });
        if (reply.status === 200) return; // a hostile value that happens to name a version (or `latest`)
        expect(reply.status, JSON.stringify(reply.body).slice(0, 300)).toBeGreaterThanOrEqual(400);
        expect(reply.status).toBeLessThan(500);
        expect(typeof reply.body.error?.message).toBe('string');
      }),
      { numRuns: 60 },
    );
    // Only 200s may have changed anything, and each of those left the history one chain.
    const after = await written(model);
    let previous: number | null = null;
    for (const entry of after.history) {
      expect(entry.previous_index).toBe(previous);
      previous = entry.version_index;
    }
    expect(after.history.slice(0, before.history.length)).toEqual(before.history);
  });
});

type Op = { kind: 'set'; version: number; expected?: number | null } | { kind: 'remove' } | { kind: 'rollback' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), version: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('set' as const), version: fc.integer({ min: 0, max: 3 }), expected: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }) }),
  fc.constant({ kind: 'remove' as const }),
  fc.constant({ kind: 'rollback' as const }),
);

describe('concurrent changes of one alias', () => {
  it('keep one history, in which each change starts where the one before ended, with one event and one run per move', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 4, maxLength: 16 }), async (ops) => {
        const model = await freshModel(4);
        const path = `${base()}/${model}/aliases/production`;
        const replies = await Promise.all(
          ops.map((change) => {
            if (change.kind === 'remove') return member.delete(path);
            if (change.kind === 'rollback') return member.post(`${path}/rollback`, {});
            const body: Record<string, unknown> = { version: `v${change.version}` };
            if (change.expected !== undefined) body.expectedVersion = change.expected === null ? null : `v${change.expected}`;
            return member.put(path, body);
          }),
        );
        // Refusals are answers about the state at the time (alias moved, nothing to remove or roll back), never a 5xx.
        for (const reply of replies) expect([200, 204, 404, 409], JSON.stringify(reply.body)).toContain(reply.status);

        const { history, events, runs, holder } = await written(model);
        let previous: number | null = null;
        for (const entry of history) {
          expect(entry.previous_index, JSON.stringify(history)).toBe(previous);
          previous = entry.version_index;
        }
        expect(holder).toBe(previous);
        // Every change but the placement before the automation existed has its event; each move onto a version its run.
        expect(events).toHaveLength(history.length);
        const adds = events.filter((event) => event.type === 'ADD_ARTIFACT_ALIAS');
        expect(runs).toHaveLength(adds.length - 1);
        for (const event of adds) {
          const entry = history.find((h) => h.version_index === event.version_index && JSON.parse(event.details).previousVersion === (h.previous_index === null ? undefined : `v${h.previous_index}`));
          expect(entry, `no history entry for ${event.details}`).toBeDefined();
        }
      }),
      { numRuns: 10 },
    );
  });
});

