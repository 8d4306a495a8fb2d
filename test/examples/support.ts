// What the example tests share: the automations of an examples/ YAML file (the shape `modelyard automations apply`
// reads: webhooks and queues by name, payload templates as block strings) as REST request bodies, and how to start an
// example's Node program so that `modelyard/receiver` resolves — to the build when it is fresh, else to the sources.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/agent-process.js';

interface AutomationFile {
  automations: Array<{
    name: string;
    description?: string;
    enabled?: boolean;
    event: { type: string; model?: string | null; aliasPattern?: string | null };
    action: { type: 'webhook'; webhook: string; payload: string } | { type: 'queue_job'; queue: string; template: string } | { type: 'no_op' };
  }>;
}

/** The REST bodies of the file's automations; webhooks named in the file are looked up in `webhookIds`. */
export function automationBodies(file: AutomationFile, webhookIds: Record<string, string> = {}): Array<Record<string, unknown>> {
  return file.automations.map((automation) => {
    const { action } = automation;
    let restAction: Record<string, unknown>;
    if (action.type === 'webhook') {
      const webhookId = webhookIds[action.webhook];
      if (webhookId === undefined) throw new Error(`the example names webhook ${action.webhook}, which the test did not create`);
      restAction = { type: 'webhook', webhookId, payload: action.payload };
    } else {
      restAction = action;
    }
    return {
      name: automation.name,
      description: automation.description ?? '',
      enabled: automation.enabled ?? true,
      event: { type: automation.event.type, model: automation.event.model ?? null, aliasPattern: automation.event.aliasPattern ?? null },
      action: restAction,
    };
  });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * Node arguments that run an example importing `modelyard/receiver`: as a user runs it when the build is fresh
 * (`npm test` builds first); else through the package's `modelyard-source` export condition, which points at the
 * TypeScript sources, and tsx — so a test run right after an edit never exercises a stale build.
 */
export function exampleNodeArgs(file: string): string[] {
  const built = path.join(REPO_ROOT, 'dist/src/receiver/index.js');
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= newestMtime(path.join(REPO_ROOT, 'src/receiver'))) return [file];
  return ['--conditions=modelyard-source', '--import', 'tsx', file];
}
