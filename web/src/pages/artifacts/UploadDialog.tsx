// Logging an artifact version from the browser: files and folders by drag and drop (or the file pickers), the type,
// a description, metadata as JSON (checked while typed) and aliases, sent as the API's multipart form with a
// progress bar per file.
import { useRef, useState, type DragEvent } from 'react';
import { flushSync } from 'react-dom';
import { ApiError, asApiError, postWithProgress, teamPath } from '../../api/client';
import type { ArtifactVersion } from '../../api/types';
import { Field, fieldError, FormError } from '../../components/Field';
import { formatBytes } from '../../components/format';
import { Modal } from '../../components/Modal';

interface PickedFile {
  /** The file's path in the artifact: its name, or its place below the folder that was dropped or picked. */
  path: string;
  file: File;
}

/** Types people log most; any other name the server accepts can be typed. */
const COMMON_TYPES = ['model', 'dataset', 'code', 'evaluation', 'checkpoint'];

/** The metadata text as the server will read it: empty, or a JSON object. */
export function metadataProblem(text: string): string | undefined {
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `Not valid JSON: ${(error as Error).message}`;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'Metadata must be a JSON object, e.g. {"accuracy": 0.93}.';
  return undefined;
}

/** Every file below a dropped folder (the entries API hands out directory listings in batches). */
async function filesOfEntry(entry: FileSystemEntry): Promise<PickedFile[]> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    return [{ path: entry.fullPath.replace(/^\//, ''), file }];
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  const children: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    children.push(...batch);
  }
  return (await Promise.all(children.map(filesOfEntry))).flat();
}

async function filesOfDrop(data: DataTransfer): Promise<PickedFile[]> {
  const entries = [...data.items].map((item) => (item.kind === 'file' ? item.webkitGetAsEntry() : null));
  if (entries.length > 0 && entries.every((entry) => entry !== null)) return (await Promise.all(entries.map((entry) => filesOfEntry(entry!)))).flat();
  // Without the entries API (or for files put on the transfer by a script) the plain file list is what there is.
  return [...data.files].map((file) => ({ path: file.name, file }));
}

function filesOfInput(list: FileList | null): PickedFile[] {
  return [...(list ?? [])].map((file) => ({ path: file.webkitRelativePath || file.name, file }));
}

export function UploadDialog({
  team,
  project,
  artifact,
  defaultType,
  onClose,
  onUploaded,
}: {
  team: string;
  project: string;
  /** Uploading a new version of this artifact; without it the dialog asks for the artifact's name. */
  artifact?: string;
  defaultType?: string;
  onClose: () => void;
  onUploaded: (version: ArtifactVersion, created: boolean) => void;
}) {
  const [name, setName] = useState(artifact ?? '');
  const [type, setType] = useState(defaultType ?? 'model');
  const [description, setDescription] = useState('');
  const [metadata, setMetadata] = useState('');
  const [aliases, setAliases] = useState('');
  const [files, setFiles] = useState<PickedFile[]>([]);
  const [over, setOver] = useState(false);
  const [sent, setSent] = useState<number>();
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const folderInput = useRef<HTMLInputElement>(null);
  const metadataError = metadataProblem(metadata);
  const totalSize = files.reduce((sum, f) => sum + f.file.size, 0);

  const add = (picked: PickedFile[]) => {
    setError(undefined);
    // The same path twice would be refused by the server: the newer pick replaces the older.
    setFiles((current) => [...current.filter((f) => !picked.some((p) => p.path === f.path)), ...picked]);
  };
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    void filesOfDrop(event.dataTransfer).then(add, (caught: unknown) => setError(asApiError(caught)));
  };

  const upload = async (event: React.FormEvent) => {
    event.preventDefault();
    if (metadataError) return;
    if (files.length === 0) return setError(new ApiError(0, 'no_files', 'Add at least one file: drop files or a folder here, or choose them.'));
    const form = new FormData();
    form.append('type', type);
    if (description) form.append('description', description);
    if (metadata.trim()) form.append('metadata', metadata);
    if (aliases.trim()) form.append('aliases', aliases);
    for (const f of files) form.append('files', f.file, f.path);
    setBusy(true);
    setError(undefined);
    setSent(0);
    try {
      const answer = await postWithProgress<ArtifactVersion>(teamPath(team, 'projects', project, 'artifacts', name, 'versions'), form, (loaded, total) => {
        // The body is the text fields, then the files in order: the share of it sent, in file bytes.
        setSent(total > 0 ? Math.min(totalSize, (loaded / total) * totalSize) : 0);
      });
      // Every bar shows 100 % before the dialog closes (the last progress event may not have been rendered yet).
      flushSync(() => setSent(totalSize));
      // 200 (not 201): identical to the latest version, which is returned instead of a new one.
      onUploaded(answer.data, answer.status === 201);
      onClose();
    } catch (caught) {
      setSent(undefined);
      setError(asApiError(caught));
    } finally {
      setBusy(false);
    }
  };

  let offset = 0;
  return (
    <Modal title={artifact ? `Upload a new version of ${artifact}` : `Upload to ${project}`} onClose={onClose} wide>
      <form onSubmit={(e) => void upload(e)}>
        {!artifact && (
          <Field label="Artifact name" error={fieldError(error, 'name')} hint="New or existing: a new name creates the artifact. Letters, digits, “-”, “_” and “.”.">
            {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required autoFocus placeholder="classifier" />}
          </Field>
        )}
        <div
          className={`dropzone${over ? ' over' : ''}`}
          data-testid="dropzone"
          onDragOver={(e) => {
            e.preventDefault();
            setOver(true);
          }}
          onDragLeave={() => setOver(false)}
          onDrop={onDrop}
        >
          <p>Drop files or folders here (a folder keeps its sub-directories), or</p>
          <div className="row" style={{ justifyContent: 'center' }}>
            <label className="button">
              Choose files
              <input type="file" multiple className="sr-only" aria-label="Choose files" onChange={(e) => add(filesOfInput(e.target.files))} />
            </label>
            <label className="button">
              Choose a folder
              <input
                type="file"
                ref={(element) => {
                  folderInput.current = element;
                  element?.setAttribute('webkitdirectory', '');
                }}
                className="sr-only"
                aria-label="Choose a folder"
                onChange={(e) => add(filesOfInput(e.target.files))}
              />
            </label>
          </div>
        </div>
        {files.length > 0 && (
          <ul className="file-list" aria-label="Files to upload">
            {files.map((f) => {
              const start = offset;
              offset += f.file.size;
              const done = sent === undefined ? 0 : f.file.size === 0 ? (sent >= start ? 1 : 0) : Math.max(0, Math.min(1, (sent - start) / f.file.size));
              return (
                <li key={f.path}>
                  <span className="path mono" title={f.path}>
                    {f.path}
                  </span>
                  <span className="muted small">{formatBytes(f.file.size)}</span>
                  <progress max={100} value={Math.round(done * 100)} aria-label={`Upload progress of ${f.path}`} />
                  <button type="button" className="link small" aria-label={`Remove ${f.path}`} disabled={busy} onClick={() => setFiles((list) => list.filter((x) => x !== f))}>
                    ✕
                  </button>
                </li>
              );
            })}
          </ul>
        )}
        <p className="muted small">
          {files.length === 0 ? 'No files yet.' : `${files.length} file${files.length === 1 ? '' : 's'}, ${formatBytes(totalSize)}.`}
        </p>
        <Field label="Type" error={fieldError(error, 'type')} hint="What the artifact is, e.g. model or dataset.">
          {(p) => (
            <>
              <input {...p} list="artifact-types" value={type} onChange={(e) => setType(e.target.value)} required />
              <datalist id="artifact-types">
                {COMMON_TYPES.map((t) => (
                  <option key={t} value={t} />
                ))}
              </datalist>
            </>
          )}
        </Field>
        <Field label="Description" error={fieldError(error, 'description')}>
          {(p) => <input {...p} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
        <Field
          label="Metadata"
          error={metadataError ?? fieldError(error, 'metadata')}
          hint={metadataError ? undefined : 'Optional JSON object, e.g. {"accuracy": 0.93, "framework": "pytorch"}. Automations can read it.'}
        >
          {(p) => <textarea {...p} className="code" rows={4} spellCheck={false} value={metadata} onChange={(e) => setMetadata(e.target.value)} placeholder='{"accuracy": 0.93}' />}
        </Field>
        <Field label="Aliases" error={fieldError(error, 'aliases')} hint="Optional, separated by commas, e.g. best, candidate.">
          {(p) => <input {...p} value={aliases} onChange={(e) => setAliases(e.target.value)} />}
        </Field>
        <FormError error={error} shownFields={['name', 'type', 'description', 'metadata', 'aliases']} />
        <div className="buttons">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy || Boolean(metadataError)}>
            {busy ? 'Uploading…' : 'Upload'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
