#!/usr/bin/env node
// A deploy service for Modelyard webhooks: checks each delivery's signature (modelyard/receiver), downloads the files
// of the model version the delivery names through the API, and puts them in DEPLOY_DIR/<model>/<version>/ — all
// files or none (written to a temporary folder, then renamed into place). A delivery it has handled already (the same
// webhook-id: Modelyard delivers at least once) is answered 200 without deploying again.
//
//   MODELYARD_URL, MODELYARD_API_KEY   the server and a key that can read the team's registry
//   MODELYARD_WEBHOOK_SECRET           the value of the webhook's signing secret
//   DEPLOY_DIR                         where versions are deployed (default ./deployed)
//   PORT                               default 3000 (0: any free port)
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { nodeReceiver } from 'modelyard/receiver';

const { MODELYARD_URL: server, MODELYARD_API_KEY: apiKey, MODELYARD_WEBHOOK_SECRET: secret } = process.env;
if (!server || !apiKey || !secret) {
  console.error('set MODELYARD_URL, MODELYARD_API_KEY and MODELYARD_WEBHOOK_SECRET');
  process.exit(2);
}
const deployDir = path.resolve(process.env.DEPLOY_DIR ?? 'deployed');
const handled = new Set();

async function api(team, pathname) {
  const response = await fetch(`${server}/api/v1/teams/${encodeURIComponent(team)}${pathname}`, { headers: { authorization: `Bearer ${apiKey}` } });
  if (!response.ok) throw new Error(`GET ${pathname}: HTTP ${response.status}`);
  return response;
}

/** A path from the manifest, kept inside the target folder. */
function inside(folder, relative) {
  const target = path.resolve(folder, relative);
  if (!target.startsWith(folder + path.sep)) throw new Error(`refusing file path ${relative}`);
  return target;
}

async function deploy(versionString) {
  // "<team>/model-registry/<model>:<version or alias>"
  const match = /^([^/]+)\/model-registry\/([^:]+):(.+)$/.exec(versionString);
  if (!match) throw new Error(`not a model version: ${versionString}`);
  const [, team, model, ref] = match;
  const version = await (await api(team, `/registry/models/${encodeURIComponent(model)}/versions/${encodeURIComponent(ref)}`)).json();
  const { project, artifact, version: artifactVersion } = version.source;
  const base = `/projects/${encodeURIComponent(project)}/artifacts/${encodeURIComponent(artifact)}/versions/${artifactVersion}`;
  const manifest = await (await api(team, base)).json();
  const target = path.join(deployDir, model, version.version);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const staging = fs.mkdtempSync(path.join(path.dirname(target), `.${version.version}-`));
  try {
    for (const file of manifest.files) {
      const content = Buffer.from(await (await api(team, `${base}/files/${file.path.split('/').map(encodeURIComponent).join('/')}`)).arrayBuffer());
      if (createHash('sha256').update(content).digest('hex') !== file.sha256) throw new Error(`${file.path}: sha256 does not match the manifest`);
      const destination = inside(staging, file.path);
      fs.mkdirSync(path.dirname(destination), { recursive: true });
      fs.writeFileSync(destination, content);
    }
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(staging, target);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  return { model, version: version.version, files: manifest.files.length, folder: target };
}

const httpServer = http.createServer(
  nodeReceiver({ secret }, async (delivery, _req, res) => {
    const answer = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (delivery.id !== null && handled.has(delivery.id)) return answer(200, { duplicate: delivery.id });
    const versionString = delivery.payload?.version;
    if (typeof versionString !== 'string') return answer(400, { error: 'the payload has no "version"' });
    try {
      const deployed = await deploy(versionString);
      if (delivery.id !== null) handled.add(delivery.id);
      console.log(`deployed ${deployed.model} ${deployed.version} (${deployed.files} files) to ${deployed.folder}`);
      answer(200, deployed);
    } catch (error) {
      // A 5xx makes Modelyard retry the delivery later.
      console.error(`deploying ${versionString} failed: ${error.message}`);
      answer(503, { error: error.message });
    }
  }),
);
httpServer.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${httpServer.address().port}/hook`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => httpServer.close(() => process.exit(0)));
