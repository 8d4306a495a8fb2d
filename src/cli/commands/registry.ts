// The registry from the command line: `artifact log|ls|get`, `download`, `model create|ls|get|rm`, `link`, `unlink`,
// `alias set|rm`. Every command talks to a server through the typed client (src/client); see docs/cli.md.
import { Command } from 'commander';
import { listAll, collectFiles, downloadArtifactVersion, ok, uploadArtifactVersion, ApiError, type LocalFile } from '../../client/index.js';
import { collect, connect, emit, formatBytes, parseJsonObject, remoteCommand, table, UsageError, type Remote, type RemoteFlags } from '../remote.js';
import { ProgressLine } from '../progress.js';

const PAGE = 500;

/** `project/artifact[:version]` (version defaults to `latest`). */
export function parseArtifactRef(ref: string, versionRequired = false): { project: string; artifact: string; version: string } {
  const match = /^([^/:]+)\/([^/:]+)(?::([^/:]+))?$/.exec(ref);
  if (!match || (versionRequired && match[3] === undefined)) {
    throw new UsageError(`${JSON.stringify(ref)} is not an artifact reference like "training/classifier${versionRequired ? ':v0' : '[:v0]'}"`);
  }
  return { project: match[1]!, artifact: match[2]!, version: match[3] ?? 'latest' };
}

function parseProjectArtifact(ref: string): { project: string; artifact: string } {
  const match = /^([^/:]+)\/([^/:]+)$/.exec(ref);
  if (!match) throw new UsageError(`${JSON.stringify(ref)} must name a project and an artifact, like "training/classifier"`);
  return { project: match[1]!, artifact: match[2]! };
}

/** A model reference `classifier[:production]` (version or alias; default `latest`). */
function parseModelRef(ref: string): { model: string; version: string } {
  const match = /^([^/:]+)(?::([^/:]+))?$/.exec(ref);
  if (!match) throw new UsageError(`${JSON.stringify(ref)} is neither a model reference ("classifier:production") nor an artifact reference ("training/classifier:v0")`);
  return { model: match[1]!, version: match[2] ?? 'latest' };
}

async function ensureProject(remote: Remote, project: string): Promise<void> {
  try {
    await ok(remote.api.POST('/api/v1/teams/{team}/projects', { params: { path: { team: remote.team } }, body: { name: project } }));
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 409)) throw error;
  }
}

type LogFlags = RemoteFlags & { type: string; metadata?: string; description?: string; alias?: string[] };

function registerArtifactCommands(program: Command): void {
  const artifact = program.command('artifact').description('log, list and inspect artifact versions');

  remoteCommand(
    artifact,
    'log',
    'log a new artifact version from files and directories (a directory keeps its name and relative paths)',
    'modelyard artifact log training/classifier --type model --metadata \'{"accuracy": 0.91}\' weights.bin config/',
  )
    .argument('<project/name>', 'the project and artifact, e.g. training/classifier (the project is created if needed)')
    .argument('<path...>', 'files and directories to upload')
    .requiredOption('--type <type>', 'the artifact type, e.g. model or dataset')
    .option('--metadata <json>', 'a JSON object of metadata, e.g. \'{"accuracy": 0.91}\'')
    .option('--description <text>', 'a description of this version')
    .option('--alias <alias>', 'an alias for the new version (repeatable)', collect)
    .action(async (ref: string, paths: string[], flags: LogFlags) => {
      const { project, artifact: name } = parseProjectArtifact(ref);
      const metadata = flags.metadata === undefined ? {} : parseJsonObject('--metadata', flags.metadata);
      let files: LocalFile[];
      try {
        files = collectFiles(paths);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const remote = connect(flags);
      await ensureProject(remote, project);
      const progress = new ProgressLine(`uploading ${project}/${name}`);
      let logged;
      try {
        logged = await uploadArtifactVersion(remote.connection, {
          project,
          artifact: name,
          type: flags.type,
          files,
          metadata,
          description: flags.description ?? '',
          aliases: flags.alias ?? [],
          onProgress: progress.update,
        });
      } finally {
        progress.finish();
      }
      const { created, version } = logged;
      const full = `${project}/${name}:${version.version}`;
      emit(remote, { ref: full, created, ...version }, () =>
        created
          ? `logged ${full} (${version.fileCount} file${version.fileCount === 1 ? '' : 's'}, ${formatBytes(version.size)}, sha256 ${version.digest.slice(0, 12)})`
          : `unchanged: the content is the same as ${full}, which was kept`,
      );
    });

  remoteCommand(artifact, 'ls', "list a project's artifacts, or an artifact's versions", 'modelyard artifact ls training\nmodelyard artifact ls training/classifier')
    .argument('<project[/name]>', 'a project (its artifacts) or project/artifact (its versions)')
    .action(async (ref: string, flags: RemoteFlags) => {
      const match = /^([^/:]+)(?:\/([^/:]+))?$/.exec(ref);
      if (!match) throw new UsageError(`${JSON.stringify(ref)} must be a project ("training") or project/artifact ("training/classifier")`);
      const remote = connect(flags);
      const [project, name] = [match[1]!, match[2]];
      if (name === undefined) {
        const items = await listAll((cursor) =>
            ok(remote.api.GET('/api/v1/teams/{team}/projects/{project}/artifacts', { params: { path: { team: remote.team, project }, query: { limit: PAGE, cursor } } })),
        );
        emit(remote, items, () =>
          table(['ARTIFACT', 'TYPE', 'VERSIONS', 'LATEST', 'CREATED'], items.map((a) => [`${project}/${a.name}`, a.type, a.versionCount, a.latestVersion, a.createdAt]), `no artifacts in project ${project}`),
        );
        return;
      }
      const items = await listAll((cursor) =>
          ok(
            remote.api.GET('/api/v1/teams/{team}/projects/{project}/artifacts/{name}/versions', {
              params: { path: { team: remote.team, project, name }, query: { limit: PAGE, cursor } },
            }),
          ),
      );
      emit(remote, items, () =>
        table(
          ['VERSION', 'ALIASES', 'FILES', 'SIZE', 'CREATED BY', 'CREATED'],
          items.map((v) => [`${project}/${name}:${v.version}`, v.aliases.join(','), v.fileCount, formatBytes(v.size), v.createdBy, v.createdAt]),
          `${project}/${name} has no versions`,
        ),
      );
    });

  remoteCommand(artifact, 'get', 'show an artifact version: metadata and files', 'modelyard artifact get training/classifier:v0 --json')
    .argument('<project/name[:version]>', 'an artifact version (default: latest)')
    .action(async (ref: string, flags: RemoteFlags) => {
      const { project, artifact: name, version } = parseArtifactRef(ref);
      const remote = connect(flags);
      const found = await ok(
        remote.api.GET('/api/v1/teams/{team}/projects/{project}/artifacts/{name}/versions/{version}', {
          params: { path: { team: remote.team, project, name, version } },
        }),
      );
      emit(remote, found, () =>
        [
          `${found.project}/${found.artifact}:${found.version}${found.aliases.length ? ` (${found.aliases.join(', ')})` : ''}`,
          `type:        ${found.type}`,
          `description: ${found.description || '-'}`,
          `created:     ${found.createdAt} by ${found.createdBy}`,
          `digest:      ${found.digest}`,
          `metadata:    ${JSON.stringify(found.metadata)}`,
          `files (${found.fileCount}, ${formatBytes(found.size)}):`,
          ...found.files.map((f) => `  ${f.path}  ${formatBytes(f.size)}  sha256:${f.sha256.slice(0, 12)}`),
        ].join('\n'),
      );
    });
}

function registerDownloadCommand(program: Command): void {
  remoteCommand(
    program,
    'download',
    'download the files of a model version (classifier:production) or an artifact version (training/classifier:v0)',
    'modelyard download classifier:production --to ./model',
  )
    .argument('<ref>', 'model[:version|alias] or project/artifact[:version|alias] (default: latest)')
    .option('--to <dir>', 'the directory to write into (default: ./artifacts/<artifact>-<version>)')
    .action(async (ref: string, flags: RemoteFlags & { to?: string }) => {
      let source: { project: string; artifact: string; version: string };
      let remote: Remote;
      if (ref.includes('/')) {
        source = parseArtifactRef(ref);
        remote = connect(flags);
      } else {
        const { model, version } = parseModelRef(ref);
        remote = connect(flags);
        const linked = await ok(
          remote.api.GET('/api/v1/teams/{team}/registry/models/{model}/versions/{version}', { params: { path: { team: remote.team, model, version } } }),
        );
        source = { project: linked.source.project, artifact: linked.source.artifact, version: linked.source.version };
      }
      const progress = new ProgressLine(`downloading ${ref}`);
      let result;
      try {
        result = await downloadArtifactVersion(remote.connection, { ...source, ...(flags.to ? { to: flags.to } : {}), onProgress: progress.update });
      } finally {
        progress.finish();
      }
      const { directory, version } = result;
      const full = `${version.project}/${version.artifact}:${version.version}`;
      emit(remote, { ref: full, directory, files: version.files }, () => `downloaded ${full} (${version.fileCount} file${version.fileCount === 1 ? '' : 's'}, ${formatBytes(version.size)}) to ${directory}`);
    });
}

function registerModelCommands(program: Command): void {
  const model = program.command('model').description('registered models');

  remoteCommand(model, 'create', 'register a model', 'modelyard model create classifier --description "Storefront image classifier"')
    .argument('<name>', 'the model name')
    .option('--description <text>', 'what the model is for', '')
    .option('--exist-ok', 'succeed when a model of that name already exists', false)
    .action(async (name: string, flags: RemoteFlags & { description: string; existOk: boolean }) => {
      const remote = connect(flags);
      let created;
      try {
        created = await ok(remote.api.POST('/api/v1/teams/{team}/registry/models', { params: { path: { team: remote.team } }, body: { name, description: flags.description } }));
      } catch (error) {
        if (!(flags.existOk && error instanceof ApiError && error.status === 409)) throw error;
        const existing = await ok(remote.api.GET('/api/v1/teams/{team}/registry/models/{model}', { params: { path: { team: remote.team, model: name } } }));
        emit(remote, existing, () => `model ${name} already exists`);
        return;
      }
      emit(remote, created, () => `created model ${created.name}`);
    });

  remoteCommand(model, 'ls', "list the team's registered models", 'modelyard model ls --json')
    .option('--search <text>', 'only models whose name contains this')
    .action(async (flags: RemoteFlags & { search?: string }) => {
      const remote = connect(flags);
      const items = await listAll((cursor) =>
          ok(remote.api.GET('/api/v1/teams/{team}/registry/models', { params: { path: { team: remote.team }, query: { limit: PAGE, cursor, ...(flags.search ? { search: flags.search } : {}) } } })),
      );
      emit(remote, items, () =>
        table(['MODEL', 'VERSIONS', 'LATEST', 'DESCRIPTION'], items.map((m) => [m.name, m.versionCount, m.latestVersion, m.description]), 'no registered models'),
      );
    });

  remoteCommand(model, 'get', 'show a model and its versions with their aliases', 'modelyard model get classifier')
    .argument('<name>', 'the model name')
    .action(async (name: string, flags: RemoteFlags) => {
      const remote = connect(flags);
      const found = await ok(remote.api.GET('/api/v1/teams/{team}/registry/models/{model}', { params: { path: { team: remote.team, model: name } } }));
      const versions = await listAll((cursor) =>
          ok(remote.api.GET('/api/v1/teams/{team}/registry/models/{model}/versions', { params: { path: { team: remote.team, model: name }, query: { limit: PAGE, cursor } } })),
      );
      emit(remote, { ...found, versions }, () =>
        [
          `${found.name}${found.description ? ` — ${found.description}` : ''}`,
          `created ${found.createdAt} by ${found.createdBy}; ${found.versionCount} version${found.versionCount === 1 ? '' : 's'}`,
          '',
          table(
            ['VERSION', 'ALIASES', 'SOURCE', 'LINKED'],
            versions.map((v) => [v.version, v.aliases.join(','), `${v.source.project}/${v.source.artifact}:${v.source.version}`, v.createdAt]),
            'no versions linked yet (`modelyard link`)',
          ),
        ].join('\n'),
      );
    });

  remoteCommand(model, 'rm', 'delete a registered model and its links (the artifacts stay)', 'modelyard model rm classifier')
    .argument('<name>', 'the model name')
    .action(async (name: string, flags: RemoteFlags) => {
      const remote = connect(flags);
      await ok(remote.api.DELETE('/api/v1/teams/{team}/registry/models/{model}', { params: { path: { team: remote.team, model: name } } }));
      emit(remote, { deleted: name }, () => `deleted model ${name}`);
    });
}

function registerLinkCommands(program: Command): void {
  remoteCommand(program, 'link', 'link an artifact version to a registered model as its next version', 'modelyard link training/classifier:v0 --model classifier --alias staging')
    .argument('<ref>', 'the artifact version, e.g. training/classifier:v0 (or an alias of it)')
    .requiredOption('--model <model>', 'the registered model')
    .option('--alias <alias>', 'an alias for the linked version (repeatable)', collect)
    .action(async (ref: string, flags: RemoteFlags & { model: string; alias?: string[] }) => {
      parseArtifactRef(ref, true);
      const remote = connect(flags);
      const linked = await ok(
        remote.api.POST('/api/v1/teams/{team}/registry/models/{model}/versions', {
          params: { path: { team: remote.team, model: flags.model } },
          body: { source: ref, aliases: flags.alias ?? [] },
        }),
      );
      emit(remote, linked, () => `linked ${ref} as ${flags.model}:${linked.version}${linked.aliases.length ? ` (${linked.aliases.join(', ')})` : ''}`);
    });

  remoteCommand(program, 'unlink', 'remove a version from a registered model (the artifact version stays)', 'modelyard unlink classifier v3')
    .argument('<model>', 'the registered model')
    .argument('<version>', 'the model version, e.g. v3')
    .action(async (model: string, version: string, flags: RemoteFlags) => {
      const remote = connect(flags);
      await ok(remote.api.DELETE('/api/v1/teams/{team}/registry/models/{model}/versions/{version}', { params: { path: { team: remote.team, model, version } } }));
      emit(remote, { model, unlinked: version }, () => `unlinked ${model}:${version}`);
    });

  const alias = program.command('alias').description("move and remove a registered model's aliases");
  remoteCommand(alias, 'set', 'put an alias on a model version (moving it from the version that held it)', 'modelyard alias set classifier production v3')
    .argument('<model>', 'the registered model')
    .argument('<alias>', 'the alias, e.g. production')
    .argument('<version>', 'the version (v3) or another alias (staging)')
    .action(async (model: string, name: string, version: string, flags: RemoteFlags) => {
      const remote = connect(flags);
      const moved = await ok(
        remote.api.PUT('/api/v1/teams/{team}/registry/models/{model}/aliases/{alias}', { params: { path: { team: remote.team, model, alias: name } }, body: { version } }),
      );
      emit(remote, moved, () =>
        moved.change === 'unchanged' ? `${model}:${name} is already ${moved.version} (nothing changed, no automation ran)` : `${model}:${name} is now ${moved.version}`,
      );
    });
  remoteCommand(alias, 'rm', 'remove an alias from a model', 'modelyard alias rm classifier staging')
    .argument('<model>', 'the registered model')
    .argument('<alias>', 'the alias')
    .action(async (model: string, name: string, flags: RemoteFlags) => {
      const remote = connect(flags);
      await ok(remote.api.DELETE('/api/v1/teams/{team}/registry/models/{model}/aliases/{alias}', { params: { path: { team: remote.team, model, alias: name } } }));
      emit(remote, { model, removed: name }, () => `removed alias ${name} from ${model}`);
    });
}

export function registerRegistryCommands(program: Command): void {
  registerArtifactCommands(program);
  registerDownloadCommand(program);
  registerModelCommands(program);
  registerLinkCommands(program);
}
