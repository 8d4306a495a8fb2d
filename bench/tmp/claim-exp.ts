import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';
import SQLite from 'better-sqlite3';
import { createDatabase } from '../../src/db/index.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { newId } from '../../src/core/ids.js';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'claim-'));
const h = createDatabase({ dataDir: dir, databaseUrl: undefined, databaseSchema: undefined } as any);
await migrateToLatest(h.db); await h.close();
const db = new SQLite(path.join(dir, 'modelyard.db')); db.pragma('journal_mode = WAL'); db.pragma('synchronous = NORMAL');
const ins = db.prepare(`insert into action_runs (id, team_id, automation_id, automation_name, event_id, event_type, action_type, state, webhook_id, webhook_name, url, secret_name, access_token_name, body, attempts, next_attempt_at, suppress_failure_event, manual_redelivery, created_at) values (?, 't', 'a', 'a', ?, 'LINK_ARTIFACT', 'webhook', 'pending', 'w', 'r', 'http://x', 'S', null, ?, 0, ?, 0, 0, ?)`);
const now = Date.now();
db.transaction(() => { for (let i = 0; i < 40000; i++) ins.run(newId(), newId(), `{"event_type": "LINK_ARTIFACT", "index": ${i}, "padding": "${'x'.repeat(150)}"}`, now, now); })();
const variants: Record<string, string> = {
  current: `update action_runs set lease_owner = ?, lease_until = ?, next_attempt_at = ? where id in (select id from action_runs where state = 'pending' and next_attempt_at <= ? and action_type in ('webhook','no_op') order by next_attempt_at limit ?) returning *`,
  noTypeFilter: `update action_runs set lease_owner = ?, lease_until = ?, next_attempt_at = ? where id in (select id from action_runs where state = 'pending' and next_attempt_at <= ? order by next_attempt_at limit ?) returning *`,
  selectAll: `select * from action_runs where state = 'pending' and next_attempt_at <= ? and action_type in ('webhook','no_op') and ? and ? and ? order by next_attempt_at limit ?`,
  returnSome: `update action_runs set lease_owner = ?, lease_until = ?, next_attempt_at = ? where id in (select id from action_runs where state = 'pending' and next_attempt_at <= ? and action_type in ('webhook','no_op') order by next_attempt_at limit ?) returning id, team_id, url, body, secret_name, access_token_name, attempts, webhook_id`,
  selectId: `select id from action_runs where state = 'pending' and next_attempt_at <= ? and action_type in ('webhook','no_op') and ? and ? and ? order by next_attempt_at limit ?`,
  selectAllNoType: `select * from action_runs where state = 'pending' and next_attempt_at <= ? and ? and ? and ? order by next_attempt_at limit ?`,
  returnId: `update action_runs set lease_owner = ?, lease_until = ?, next_attempt_at = ? where id in (select id from action_runs where state = 'pending' and next_attempt_at <= ? and action_type in ('webhook','no_op') order by next_attempt_at limit ?) returning id`,
};
const v = process.argv[2]!;
const stmt = db.prepare(variants[v]!); if (process.argv[3]) stmt.raw(true); console.log(db.prepare('explain query plan ' + variants[v]).all(...(v.startsWith('select') ? [1,1,1,1,1] : [1,1,1,1,1])).map((r: any) => r.detail).join(' | '));
let t = 0, n = 0;
for (let k = 0; k < 1500; k++) {
  db.prepare('begin immediate').run();
  const s = process.hrtime.bigint();
  const rows = v.startsWith('select') ? stmt.all(now + 1, 1, 1, 1, 22) : stmt.all('me', now + 1e9, now + 1e9, now + 1, 22);
  t += Number(process.hrtime.bigint() - s) / 1000; n += rows.length;
  db.prepare('commit').run();
}
console.log(v, (t / 1500).toFixed(1), 'us per claim of', n / 1500);
db.close(); fs.rmSync(dir, { recursive: true });
