#!/usr/bin/env node
// An evaluation job for `modelyard agent --queue evaluation -- node evaluate.mjs`: reads the job (standard input) that
// automation.yaml renders, downloads the version's metrics.json through the API, and when its accuracy reaches
// min_accuracy moves the job's `promote_to` alias (staging) onto the version. Exit 0: passed (and promoted); exit 1:
// it did not pass — the job, and the automation's run, fail, and the alias stays where it was.
//
// The agent gives every job MODELYARD_URL, MODELYARD_API_KEY and MODELYARD_TEAM (its own server, key and team).
const { MODELYARD_URL: server, MODELYARD_API_KEY: apiKey, MODELYARD_TEAM: team } = process.env;

async function api(method, pathname, body) {
  const response = await fetch(`${server}/api/v1/teams/${encodeURIComponent(team)}${pathname}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${pathname}: HTTP ${response.status} ${await response.text()}`);
  return response;
}

let input = '';
for await (const chunk of process.stdin) input += chunk;
const job = JSON.parse(input);
const match = /^([^/]+)\/model-registry\/([^:]+):(.+)$/.exec(job.version ?? '');
if (!match) {
  console.error(`the job names no model version: ${job.version}`);
  process.exit(2);
}
const [, , model, ref] = match;
const version = await (await api('GET', `/registry/models/${encodeURIComponent(model)}/versions/${encodeURIComponent(ref)}`)).json();
const { project, artifact, version: artifactVersion } = version.source;
const metrics = await (await api('GET', `/projects/${encodeURIComponent(project)}/artifacts/${encodeURIComponent(artifact)}/versions/${artifactVersion}/files/metrics.json`)).json();
const accuracy = Number(metrics.accuracy);
console.log(`${model} ${version.version}: accuracy ${accuracy} (needs ${job.min_accuracy})`);
if (!(accuracy >= job.min_accuracy)) {
  console.error(`${model} ${version.version} did not pass; ${job.promote_to} stays where it is`);
  process.exit(1);
}
await api('PUT', `/registry/models/${encodeURIComponent(model)}/aliases/${encodeURIComponent(job.promote_to)}`, { version: version.version });
console.log(`${model} ${version.version} passed: ${job.promote_to} → ${version.version}`);
