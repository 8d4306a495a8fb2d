// Helpers for registry tests: logging artifact versions over multipart, as a client would.
import { createHash } from 'node:crypto';
import { expectStatus, type Client, type Reply } from './index.js';

export interface LogOptions {
  files?: Record<string, string | Buffer>;
  type?: string;
  description?: string;
  metadata?: unknown;
  aliases?: string[] | string;
  /** Field name for the file parts: `file` (default) or `files`. */
  fileField?: string;
}

export function uploadForm(options: LogOptions = {}): FormData {
  const form = new FormData();
  if (options.type !== undefined) form.append('type', options.type);
  else form.append('type', 'model');
  if (options.description !== undefined) form.append('description', options.description);
  if (options.metadata !== undefined) form.append('metadata', typeof options.metadata === 'string' ? options.metadata : JSON.stringify(options.metadata));
  if (options.aliases !== undefined) form.append('aliases', Array.isArray(options.aliases) ? JSON.stringify(options.aliases) : options.aliases);
  const files = options.files ?? { 'model.bin': 'weights' };
  for (const [filePath, content] of Object.entries(files)) {
    form.append(options.fileField ?? 'file', new Blob([typeof content === 'string' ? content : new Uint8Array(content)]), filePath);
  }
  return form;
}

export function logVersion(client: Client, team: string, project: string, artifact: string, options: LogOptions = {}): Promise<Reply> {
  return client.request('POST', `/api/v1/teams/${team}/projects/${project}/artifacts/${artifact}/versions`, uploadForm(options));
}

export const sha256 = (content: string | Buffer): string => createHash('sha256').update(content).digest('hex');

/** A team with a project `training`, an artifact `resnet` with `count` versions, and a model `classifier`. */
export async function seedRegistry(client: Client, team: string, count = 3): Promise<void> {
  const project = await client.post(`/api/v1/teams/${team}/projects`, { name: 'training' });
  expectStatus(project, 201, 'creating the project');
  for (let i = 0; i < count; i++) {
    const logged = await logVersion(client, team, 'training', 'resnet', { files: { 'model.bin': `weights ${i}` }, metadata: { epoch: i } });
    expectStatus(logged, 201, 'logging an artifact version');
  }
  const model = await client.post(`/api/v1/teams/${team}/registry/models`, { name: 'classifier', description: 'image classifier' });
  expectStatus(model, 201, 'creating the model');
}
