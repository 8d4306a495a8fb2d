// `npm run bench`: every benchmark, one after another, each in its own process so one's memory and event loop do
// not colour the next. Each prints its table and writes bench/results/<name>.json. Run on a quiet machine: the
// figures are only as good as the machine is idle (each result records the load average it saw).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const benchmarks = ['user.bench.ts', 'registry.bench.ts', 'delivery.bench.ts', 'python-upload.bench.ts', 'cli-upload.bench.ts'];
const only = process.argv.slice(2);

let failed = false;
for (const file of benchmarks) {
  if (only.length > 0 && !only.some((name) => file.startsWith(name))) continue;
  console.log(`\n== ${file} ==`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, file)], { stdio: 'inherit' });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
