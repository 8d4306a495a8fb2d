// The caller's API keys, for the CLI, SDK, CI and queue agents: create (the key is shown once), list, revoke.
import { useState } from 'react';
import { api } from '../api/client';
import type { Json } from '../api/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Field, fieldError } from '../components/Field';
import { FormDialog } from '../components/FormDialog';
import { PageHead } from '../components/Layout';
import { LoadedList } from '../components/LoadedList';
import { Modal } from '../components/Modal';
import { RowMenu } from '../components/RowMenu';
import { Empty } from '../components/Status';
import { Time } from '../components/Time';
import { useLoad } from '../components/useLoad';
import { useFormSubmit } from '../components/useSubmit';
import { DataTable } from '../components/DataTable';
import { CopyButton } from '../components/CopyButton';

type ApiKey = Json<'/api/v1/api-keys', 'get'>['items'][number];
type CreatedKey = Json<'/api/v1/api-keys', 'post', 201>;

export function ApiKeys() {
  const keys = useLoad(() => api.get<Json<'/api/v1/api-keys', 'get'>>('/api/v1/api-keys'), 'api-keys');
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  return (
    <>
      <PageHead
        title="API keys"
        sub={
          <>
            Keys act as you in the CLI, the SDK, CI jobs and queue agents (<code>MODELYARD_API_KEY</code>). A key is shown only once, when it is created.
          </>
        }
        actions={
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New API key
          </button>
        }
      />
      <div className="card">
        <LoadedList
          loaded={keys}
          empty={
            <Empty title="No API keys yet.">
              <p>Create one for each machine or pipeline, so you can revoke them one by one.</p>
            </Empty>
          }
        >
          {(items) => (
            <DataTable label="API keys" columns={['Name', 'Starts with', 'Created', 'Last used']} withActions>
              {items.map((key) => (
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
            </DataTable>
          )}
        </LoadedList>
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
  const submit = useFormSubmit(async () => {
    setCreated(await api.post<CreatedKey>('/api/v1/api-keys', { name }));
    onDone();
  });
  if (created) {
    return (
      <Modal title="API key created" onClose={onClose}>
        <p>Copy the key now: it is not shown again.</p>
        <pre aria-label="New API key">{created.key}</pre>
        <div className="buttons">
          <CopyButton value={created.key} label="Copy key" />
          <button type="button" className="primary" onClick={onClose}>
            Done
          </button>
        </div>
      </Modal>
    );
  }
  return (
    <FormDialog title="New API key" submitLabel="Create key" submit={submit} shownFields={['name']} onClose={onClose}>
      <Field label="Name" error={fieldError(submit.error, 'name')} hint="Where it is used, e.g. “eval agent on gpu-01”.">
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required maxLength={128} />}
      </Field>
    </FormDialog>
  );
}
