// `modelyard serve` and `modelyard migrate`.
import { MessageChannel } from 'node:worker_threads';
import { Command, Option } from 'commander';
import { loadConfig, type Role } from '../../config.js';
import type { WorkerThread } from '../../worker-thread.js';
// Loaded by the commands that log, not at start-up: client commands stay small (see bench/cli-upload.bench.ts).
const loadLogger = () => import('../../logger.js');
// The server is loaded only by the commands that run it: client commands (agent, login) start in a fraction of the
// time without Fastify, Kysely and the database drivers.
const loadServer = () => import('../../server.js');

export function registerServerCommands(program: Command): void {
  program
    .command('serve')
    .description('run the API (with the web UI) and the delivery worker')
    .addOption(new Option('--role <role>', 'which part to run').choices(['all', 'api', 'worker']).default('all'))
    .action(async (options: { role: Role }) => {
      const config = loadConfig();
      const logger = (await loadLogger()).createLogger(config.logLevel);
      const { startServer, bootstrapFirstAdmin } = await loadServer();
      // Role all on a machine with two cores or more: the API on this thread, the worker role in a thread of its own.
      const threaded = options.role === 'all' && config.deliveryThread;
      const bridge = threaded ? new MessageChannel() : undefined;
      const server = await startServer(config, logger, { role: threaded ? 'api' : options.role, bridge: bridge?.port1 });
      let thread: WorkerThread | undefined;
      if (bridge) {
        const { startWorkerThread } = await import('../../worker-thread.js');
        try {
          thread = await startWorkerThread(process.env, bridge.port2, (error) => {
            logger.fatal({ err: error }, 'the delivery thread stopped; exiting so that a supervisor restarts Modelyard');
            process.exit(1);
          });
        } catch (error) {
          await server.stop();
          throw error;
        }
      }
      // The first admin is created by a process that serves the API: its credentials are printed for the person who
      // is about to open it. A worker-only process (often started by a supervisor whose output goes to a log
      // collector) never prints credentials, whichever process reaches an empty database first.
      const admin = server.url === undefined ? undefined : await bootstrapFirstAdmin(server.ctx);
      if (admin && server.url !== undefined) {
        // Printed once, to the terminal only (not the log): the password and key are not stored anywhere readable.
        process.stdout.write(
          [
            '',
            'Modelyard created the first instance admin. These credentials are shown only this once:',
            `  user:     ${admin.name}`,
            `  password: ${admin.password}`,
            `  API key:  ${admin.apiKey}`,
            `Open ${displayUrl(config.host, server.url)} and log in, or: curl -H "Authorization: Bearer <API key>" ${displayUrl(config.host, server.url)}/api/v1/me`,
            '',
          ].join('\n'),
        );
      }
      logger.info({ role: options.role, url: server.url, database: server.ctx.dialect, deliveryThread: thread !== undefined }, 'modelyard started');
      const shutdown = (signal: string) => {
        logger.info({ signal }, 'shutting down');
        Promise.all([server.stop(), thread?.stop()]).then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    });

  program
    .command('migrate')
    .description('apply database migrations and exit (serve also applies them at start)')
    .action(async () => {
      const config = loadConfig();
      const { openContext } = await loadServer();
      const ctx = await openContext(config, (await loadLogger()).createLogger(config.logLevel));
      await ctx.close();
      process.stdout.write('database is up to date\n');
    });
}

function displayUrl(host: string, url: string): string {
  return host === '0.0.0.0' || host === '::' ? url.replace(/\/\/[^:/]+/, '//localhost') : url;
}
