// One transaction per change. Work that must happen only once the change is durable — waking delivery workers and
// long-polling agents — is collected during the transaction and signalled after commit (never before: a worker
// woken early would find nothing to claim).
//
// On SQLite, changes that arrive together are committed together (group commit). SQLite has one writer at a time,
// and its COMMIT — writing every touched page to the log — costs more than the statements of a typical change
// (bench/results/design-measurements.md#group-commit). Changes queued while the previous
// group was being written run in one BEGIN IMMEDIATE … COMMIT, each inside its own SAVEPOINT: a change that fails
// rolls back to its savepoint and only its caller sees the error; the others commit, and every caller hears back
// only after the COMMIT that made its change durable. PostgreSQL runs a transaction per change on its pool (it
// already shares WAL flushes between concurrent commits, and holding one change's row locks for a whole group
// would only add waiting).
import { CompiledQuery, SqliteAdapter } from 'kysely';
import type { Db, Notifier, Tx } from './index.js';

export interface AfterCommit {
  /** Signal `channel` (see CHANNEL_* in context.ts) once the transaction has committed. */
  notify(channel: string, payload?: string): void;
}

/** What a transaction needs of the application's context (structurally a part of AppContext). */
type Ctx = { db: Db; notifier: Notifier };

class Signals implements AfterCommit {
  private readonly byChannel = new Map<string, Set<string>>();
  notify(channel: string, payload = ''): void {
    const payloads = this.byChannel.get(channel) ?? new Set<string>();
    payloads.add(payload);
    this.byChannel.set(channel, payloads);
  }
  send(ctx: Ctx): void {
    for (const [channel, payloads] of this.byChannel) for (const payload of payloads) ctx.notifier.notify(channel, payload);
  }
}

export async function inTransaction<T>(ctx: Ctx, work: (tx: Tx, after: AfterCommit) => Promise<T>): Promise<T> {
  const signals = new Signals();
  const result = await writeTransaction(ctx.db, (tx) => work(tx, signals));
  signals.send(ctx);
  return result;
}

/**
 * A change made optimistically: `read`, then `write` — one gatedWrites statement (src/db/dialect.ts), or nothing — and
 * its signals sent once it is durable. On PostgreSQL both run outside any transaction: two round trips, no BEGIN and
 * no COMMIT (the write commits by itself, and its gate finds out whether what the read saw still holds). On SQLite both
 * run in one grouped write transaction like any change: a read outside it would queue for the connection a second
 * time, and an in-process statement costs no round trip.
 */
export async function readThenWrite<R, T>(
  ctx: Ctx,
  read: (db: Db | Tx) => Promise<R>,
  write: (db: Db | Tx, read: R, after: AfterCommit) => Promise<T>,
): Promise<T> {
  if (groupCommitFor(ctx.db)) return inTransaction(ctx, async (tx, after) => write(tx, await read(tx), after));
  const signals = new Signals();
  const result = await write(ctx.db, await read(ctx.db), signals);
  signals.send(ctx);
  return result;
}

/** A transaction with nothing to signal after commit (the delivery worker's claims); grouped like any other. */
export function writeTransaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  const group = groupCommitFor(db);
  return group ? group.run(work) : db.transaction().execute(work);
}

// ---------------------------------------------------------------------------------------------------------------
// Group commit (SQLite)

/** Enough to amortize the commit; small enough that the first change of a group does not wait long for the last. */
const MAX_GROUP = 64;

const SAVEPOINT = CompiledQuery.raw('savepoint change');
const RELEASE = CompiledQuery.raw('release change');
const ROLLBACK_TO = CompiledQuery.raw('rollback to change');

interface Change {
  work(tx: Tx): Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

class GroupCommit {
  private readonly queue: Change[] = [];
  private busy = false;

  constructor(private readonly db: Db) {}

  run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  /**
   * A group starts in the event loop's check phase (setImmediate), after the poll phase has handed every request that
   * arrived meanwhile its turn to queue up — grouping adds no timer and no wait when there is nothing to group.
   */
  private schedule(): void {
    if (this.busy) return;
    this.busy = true;
    setImmediate(() => void this.commitNext());
  }

  private async commitNext(): Promise<void> {
    const group = this.queue.splice(0, MAX_GROUP);
    const outcomes: Outcome[] = [];
    try {
      await this.db.transaction().execute(async (tx) => {
        if (group.length === 1) {
          outcomes.push({ ok: true, value: await group[0]!.work(tx) });
          return;
        }
        for (const change of group) {
          await tx.executeQuery(SAVEPOINT);
          try {
            const value = await change.work(tx);
            await tx.executeQuery(RELEASE);
            outcomes.push({ ok: true, value });
          } catch (error) {
            // If SQLite already rolled the whole transaction back (an I/O error, say), this throws and every change
            // of the group fails below — none of them was committed.
            await tx.executeQuery(ROLLBACK_TO);
            await tx.executeQuery(RELEASE);
            outcomes.push({ ok: false, error });
          }
        }
      });
      group.forEach((change, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) change.resolve(outcome.value);
        else change.reject(outcome.error);
      });
    } catch (error) {
      for (const change of group) change.reject(error);
    } finally {
      this.busy = false;
      if (this.queue.length > 0) this.schedule();
    }
  }
}

const groups = new WeakMap<Db, GroupCommit | null>();

function groupCommitFor(db: Db): GroupCommit | null {
  let group = groups.get(db);
  if (group === undefined) {
    group = db.getExecutor().adapter instanceof SqliteAdapter ? new GroupCommit(db) : null;
    groups.set(db, group);
  }
  return group;
}
