// The registry from the command line, driven as a subprocess against a real server: `artifact log|ls|get`,
// `download`, `model create|ls|get|rm`, `link`, `unlink`, `alias set|rm` — human and --json output, exit codes
// (0 ok, 1 the server refused, 2 usage), errors as the server states them.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamWithRoles, startTestServer, type TestServer } from '../helpers/index.js';
import { cliFor } from '../helpers/cli.js';

let server: TestServer;
let cli: ReturnType<typeof cliFor>;
let viewerCli: ReturnType<typeof cliFor>;
let work: string;
let adminKey: string;

beforeAll(async () => {
  server = await startTestServer();
  const roles = await createTeamWithRoles(server, 'vision');
  adminKey = roles.admin.apiKey!;
  cli = cliFor({ url: server.url, apiKey: adminKey, team: roles.team });
  viewerCli = cliFor({ url: server.url, apiKey: roles.viewer.apiKey!, team: roles.team });
  work = cli.home;
  fs.writeFileSync(path.join(work, 'weights.bin'), Buffer.alloc(300_000, 7));
  fs.mkdirSync(path.join(work, 'config/data'), { recursive: true });
  fs.writeFileSync(path.join(work, 'config/train.yaml'), 'lr: 0.1\n');
  fs.writeFileSync(path.join(work, 'config/data/a.json'), '{"a": 1}\n');
});

afterAll(async () => {
  cli.cleanup();
  viewerCli.cleanup();
  await server.close();
});

describe('modelyard artifact', { timeout: 180_000 }, () => {
  it('logs files and directories with their relative paths, then lists and shows them', async () => {
    const logged = await cli.run(['artifact', 'log', 'training/classifier', '--type', 'model', '--metadata', '{"accuracy": 0.91}', '--description', 'first', 'weights.bin', 'config']);
    expect(logged.stderr).toBe('');
    expect(logged.code).toBe(0);
    expect(logged.stdout).toMatch(/^logged training\/classifier:v0 \(3 files, 293\.0 KB, sha256 [0-9a-f]{12}\)\n$/);

    // The same content again: the server keeps the version it has, and --json says so.
    const [again, projectList, versionList, shown, shownJson] = await Promise.all([
      cli.run(['artifact', 'log', 'training/classifier', '--type', 'model', '--metadata', '{"accuracy": 0.91}', '--description', 'first', 'weights.bin', 'config', '--json']),
      cli.run(['artifact', 'ls', 'training']),
      cli.run(['artifact', 'ls', 'training/classifier', '--json']),
      cli.run(['artifact', 'get', 'training/classifier:v0']),
      cli.run(['artifact', 'get', 'training/classifier', '--json']),
    ]);
    expect(again.code).toBe(0);
    expect(again.json()).toMatchObject({ ref: 'training/classifier:v0', created: false, fileCount: 3 });
    expect(projectList.stdout).toMatch(/^ARTIFACT\s+TYPE\s+VERSIONS\s+LATEST\s+CREATED\ntraining\/classifier\s+model\s+1\s+v0\s/);
    expect(versionList.json()).toEqual([expect.objectContaining({ version: 'v0', fileCount: 3, size: 300_017 })]);
    expect(shown.stdout).toContain('metadata:    {"accuracy":0.91}');
    expect(shown.stdout).toMatch(/config\/data\/a\.json\s/);
    expect(shownJson.json().files.map((f: { path: string }) => f.path).sort()).toEqual(['config/data/a.json', 'config/train.yaml', 'weights.bin']);
    expect(shownJson.json().description).toBe('first');
  });

  it('refuses bad command lines with exit 2 before sending anything, and server refusals with exit 1', async () => {
    const [noPath, badMetadata, missingFile, badRef, noType, viewer, unknownVersion] = await Promise.all([
      cli.run(['artifact', 'log', 'training/classifier', '--type', 'model']),
      cli.run(['artifact', 'log', 'training/classifier', '--type', 'model', '--metadata', '[1]', 'weights.bin']),
      cli.run(['artifact', 'log', 'training/classifier', '--type', 'model', 'no-such-file']),
      cli.run(['artifact', 'log', 'classifier', '--type', 'model', 'weights.bin']),
      cli.run(['artifact', 'log', 'training/classifier', 'weights.bin']),
      viewerCli.run(['artifact', 'log', 'training/classifier', '--type', 'model', path.join(work, 'weights.bin')]),
      cli.run(['artifact', 'get', 'training/classifier:v9', '--json']),
    ]);
    expect([noPath.code, badMetadata.code, missingFile.code, badRef.code, noType.code]).toEqual([2, 2, 2, 2, 2]);
    expect(noPath.stderr).toMatch(/missing required argument 'path'/);
    expect(badMetadata.stderr).toMatch(/--metadata: must be a JSON object/);
    expect(missingFile.stderr).toMatch(/no-such-file: no such file or directory/);
    expect(badRef.stderr).toMatch(/must name a project and an artifact/);
    expect(noType.stderr).toMatch(/required option '--type <type>' not specified/);
    expect(viewer.code).toBe(1);
    expect(viewer.stderr).toMatch(/^modelyard: .*\(HTTP 403 forbidden\)\n$/);
    expect(unknownVersion.code).toBe(1);
    expect(JSON.parse(unknownVersion.stderr)).toMatchObject({ error: { status: 404, code: 'not_found' } });
    expect(unknownVersion.stdout).toBe('');
  });
});

describe('modelyard model, link, alias, download, unlink', { timeout: 180_000 }, () => {
  it('registers a model, links a version with aliases, moves an alias and downloads by model ref', async () => {
    const created = await cli.run(['model', 'create', 'classifier', '--description', 'Storefront image classifier']);
    expect(created.stdout).toBe('created model classifier\n');
    const [duplicate, existOk, listed] = await Promise.all([
      cli.run(['model', 'create', 'classifier']),
      cli.run(['model', 'create', 'classifier', '--exist-ok', '--json']),
      cli.run(['model', 'ls']),
    ]);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/already exists.*\(HTTP 409 conflict\)/);
    expect(existOk.code).toBe(0);
    expect(existOk.json()).toMatchObject({ name: 'classifier', description: 'Storefront image classifier' });
    expect(listed.stdout).toMatch(/^MODEL\s+VERSIONS\s+LATEST\s+DESCRIPTION\nclassifier\s+0\s+-\s+Storefront image classifier\n$/);

    const linked = await cli.run(['link', 'training/classifier:v0', '--model', 'classifier', '--alias', 'staging', '--alias', 'candidate']);
    expect(linked.stdout).toMatch(/^linked training\/classifier:v0 as classifier:v0 \(.*staging.*\)\n$/);
    const alias = await cli.run(['alias', 'set', 'classifier', 'production', 'staging', '--json']);
    expect(alias.json()).toMatchObject({ version: 'v0', change: 'added' });
    expect(alias.json().aliases).toContain('production');
    const again = await cli.run(['alias', 'set', 'classifier', 'production', 'v0']);
    expect(again.stdout).toBe('classifier:production is already v0 (nothing changed, no automation ran)\n');

    const target = path.join(work, 'downloaded');
    const [downloaded, model] = await Promise.all([
      cli.run(['download', 'classifier:production', '--to', target]),
      cli.run(['model', 'get', 'classifier', '--json']),
    ]);
    expect(downloaded.code).toBe(0);
    expect(downloaded.stdout).toBe(`downloaded training/classifier:v0 (3 files, 293.0 KB) to ${target}\n`);
    expect(fs.readFileSync(path.join(target, 'weights.bin')).equals(Buffer.alloc(300_000, 7))).toBe(true);
    expect(fs.readFileSync(path.join(target, 'config/data/a.json'), 'utf8')).toBe('{"a": 1}\n');
    expect(model.json().versions).toEqual([expect.objectContaining({ version: 'v0', aliases: expect.arrayContaining(['production', 'staging', 'candidate']) })]);

    const [removed, byArtifact] = await Promise.all([
      cli.run(['alias', 'rm', 'classifier', 'candidate']),
      cli.run(['download', 'training/classifier:v0', '--json'], { cwd: work }),
    ]);
    expect(removed.stdout).toBe('removed alias candidate from classifier\n');
    expect(byArtifact.json()).toMatchObject({ ref: 'training/classifier:v0', directory: 'artifacts/classifier-v0' });
    expect(fs.existsSync(path.join(work, 'artifacts/classifier-v0/config/train.yaml'))).toBe(true);

    const shown = await cli.run(['model', 'get', 'classifier']);
    expect(shown.stdout).toMatch(/v0\s+\S*production\S*\s+training\/classifier:v0/);
    expect(shown.stdout).not.toContain('candidate');

    const unlinked = await cli.run(['unlink', 'classifier', 'v0']);
    expect(unlinked.stdout).toBe('unlinked classifier:v0\n');
    const [gone, empty] = await Promise.all([cli.run(['download', 'classifier:production']), cli.run(['model', 'get', 'classifier'])]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/HTTP 404 not_found/);
    expect(empty.stdout).toContain('no versions linked yet');

    const deleted = await cli.run(['model', 'rm', 'classifier', '--json']);
    expect(deleted.json()).toEqual({ deleted: 'classifier' });
    const after = await cli.run(['model', 'ls', '--json']);
    expect(after.json()).toEqual([]);
  });

  it('takes the configuration from flags, the environment or the saved login, and says what is missing (exit 2)', async () => {
    const unset = { MODELYARD_URL: undefined, MODELYARD_API_KEY: undefined, MODELYARD_TEAM: undefined };
    const [noServer, noTeam, flagTeam, badUrl, unreachable, badRef, usage] = await Promise.all([
      cli.run(['model', 'ls'], { env: unset }),
      cli.run(['model', 'ls'], { env: { MODELYARD_TEAM: undefined } }),
      cli.run(['model', 'ls', '--team', 'nope']),
      cli.run(['model', 'ls', '--url', 'ftp://x']),
      cli.run(['model', 'ls', '--url', 'http://127.0.0.1:1']),
      cli.run(['download', 'a:b:c']),
      cli.run(['alias', 'set', 'classifier', 'production']),
    ]);
    expect(noServer.code).toBe(2);
    expect(noServer.stderr).toMatch(/no Modelyard server: pass --url, set MODELYARD_URL, or run `modelyard login/);
    expect(noTeam.code).toBe(2);
    expect(noTeam.stderr).toMatch(/no team/);
    expect(flagTeam.code).toBe(1);
    expect(flagTeam.stderr).toMatch(/HTTP 404/);
    expect(badUrl.code).toBe(2);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot reach the server/);
    expect(badRef.code).toBe(2);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/missing required argument 'version'/);

    // The saved login (`modelyard login` writes it): nothing in the environment.
    const credentials = path.join(cli.home, '.config/modelyard/credentials.json');
    fs.mkdirSync(path.dirname(credentials), { recursive: true });
    fs.writeFileSync(credentials, JSON.stringify({ url: server.url, apiKey: adminKey, team: 'vision' }));
    const [saved, overridden] = await Promise.all([cli.run(['model', 'ls', '--json'], { env: unset }), cli.run(['model', 'ls'], { env: { ...unset, MODELYARD_TEAM: 'nope' } })]);
    expect(saved.code).toBe(0);
    expect(saved.json()).toEqual([]);
    expect(overridden.code).toBe(1);
    fs.rmSync(credentials);
  });
});
