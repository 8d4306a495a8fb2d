// The caller's API keys, for the CLI, SDK, CI and queue agents: create (the key is shown once), list, revoke.
import { useState, type FormEvent } from 'react';
import { api } from '../api/client';
import type { Json } from '../api/types';
import { ConfirmDialog, Empty, Field, fieldError, FormError, LoadError, Modal, RowMenu, Time, useLoad, useSubmit } from '../ui';

type ApiKey = Json<'/api/v1/api-keys', 'get'>['items'][number];
type CreatedKey = Json<'/api/v1/api-keys', 'post', 201>;

export function ApiKeys() {
  const keys = useLoad(() => api.get<Json<'/api/v1/api-keys', 'get'>>('/api/v1/api-keys'), 'api-keys');
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  return (
    <>
      <div className="page-head">
        <div>
          <h1>API keys</h1>
          <p className="sub">
            Keys act as you in the CLI, the SDK, CI jobs and queue agents (<code>MODELYARD_API_KEY</code>). A key is shown only once, when it is created.
          </p>
        </div>
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          New API key
        </button>
      </div>
      <div className="card">
        <LoadError error={keys.error} />
        {keys.data && keys.data.items.length === 0 ? (
          <Empty title="No API keys yet.">
            <p>Create one for each machine or pipeline, so you can revoke them one by one.</p>
          </Empty>
        ) : (
          keys.data && (
            <table aria-label="API keys">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Starts with</th>
                  <th>Created</th>
                  <th>Last used</th>
                  <th className="actions">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {keys.data.items.map((key) => (
                  <tr key={key.id}>
                    <td>{key.name}</td>
                    <td className="mono">{key.prefix}…</td>
                    <td>
                      <Time value={key.createdAt} />
                    </td>
                    <td>
                      <Time value={key.lastUsedAt} />
                    </td>
                    <td className="actions">
                      <RowMenu label={`Actions for API key ${key.name}`} items={[{ label: 'Revoke', danger: true, onSelect: () => setRevoking(key) }]} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        )}
      </div>
      {creating && <NewKeyDialog onClose={() => setCreating(false)} onDone={keys.reload} />}
      {revoking && (
        <ConfirmDialog
          title={`Revoke API key “${revoking.name}”?`}
          confirmLabel="Revoke"
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await api.delete(`/api/v1/api-keys/${encodeURIComponent(revoking.id)}`);
            keys.reload();
          }}
        >
          <p>Anything that uses it (agents, CI jobs) is refused from now on.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function NewKeyDialog({ onClose, onDone }: { onClose: () => void; onDone: () => void }) {
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CreatedKey>();
  const submit = useSubmit(async () => {
    setCreated(await api.post<CreatedKey>('/api/v1/api-keys', { name }));
    onDone();
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void submit.run();
  };
  if (created) {
    return (
      <Modal title="API key created" onClose={onClose}>
        <p>Copy the key now: it is not shown again.</p>
        <pre aria-label="New API key">{created.key}</pre>
        <div className="buttons">
          <button type="button" className="primary" onClick={onClose}>
            Done
          </button>
        </div>
      </Modal>
    );
  }
  return (
    <Modal title="New API key" onClose={onClose}>
      <form onSubmit={onSubmit}>
        <Field label="Name" error={fieldError(submit.error, 'name')} hint="Where it is used, e.g. “eval agent on gpu-01”.">
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required maxLength={128} />}
        </Field>
        <FormError error={submit.error} shownFields={['name']} />
        <div className="buttons">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={submit.busy}>
            Create key
          </button>
        </div>
      </form>
    </Modal>
  );
}
