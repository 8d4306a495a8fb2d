// Team settings › Team secrets: names, which webhooks use them and who set them last; the values are write-only
// (set on creation or rotation, never shown again).
import { useState } from 'react';
import { api, teamPath } from '../../api/client';
import type { Page, Secret } from '../../api/types';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { Field, fieldError } from '../../components/Field';
import { FormDialog } from '../../components/FormDialog';
import { Section } from '../../components/Layout';
import { LoadedList } from '../../components/LoadedList';
import { RowMenu } from '../../components/RowMenu';
import { Empty } from '../../components/Status';
import { Time } from '../../components/Time';
import { useLoad } from '../../components/useLoad';
import { useFormSubmit } from '../../components/useSubmit';
import { DataTable } from '../../components/DataTable';

/** `webhookChanges` changes whenever a webhook was saved, so "Used by webhooks" is reloaded. */
export function TeamSecrets({ team, webhookChanges }: { team: string; webhookChanges: number }) {
  const secrets = useLoad(() => api.get<Page<Secret>>(teamPath(team, 'secrets')), `${team}|secrets|${webhookChanges}`);
  const [dialog, setDialog] = useState<{ kind: 'new' } | { kind: 'rotate'; secret: Secret } | { kind: 'delete'; secret: Secret } | null>(null);
  return (
    <Section
      title="Team secrets"
      intro={<>Signing secrets and access tokens for webhooks. Values are encrypted and never shown again; use them in payloads as {'${NAME}'}.</>}
      actions={
        <button type="button" onClick={() => setDialog({ kind: 'new' })}>
          New secret
        </button>
      }
    >
      <LoadedList
        loaded={secrets}
        empty={
          <Empty title="No secrets yet.">
            <p>Add one with “New secret” before creating a webhook that signs its payloads or sends an access token.</p>
          </Empty>
        }
      >
        {(items) => (
          <DataTable label="Team secrets" columns={['Name', 'Used by webhooks', 'Last set by', 'Last set']} withActions>
            {items.map((s) => (
              <tr key={s.name}>
                <td className="mono">{s.name}</td>
                <td>{s.usedBy.length ? s.usedBy.join(', ') : <span className="muted">—</span>}</td>
                <td>{s.updatedBy}</td>
                <td>
                  <Time value={s.updatedAt} />
                </td>
                <td className="actions">
                  <RowMenu
                    label={`Actions for secret ${s.name}`}
                    items={[
                      { label: 'Rotate', onSelect: () => setDialog({ kind: 'rotate', secret: s }) },
                      { label: 'Delete', danger: true, onSelect: () => setDialog({ kind: 'delete', secret: s }) },
                    ]}
                  />
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </LoadedList>
      {dialog?.kind === 'new' && <SecretDialog team={team} onClose={() => setDialog(null)} onDone={secrets.reload} />}
      {dialog?.kind === 'rotate' && <SecretDialog team={team} existing={dialog.secret.name} onClose={() => setDialog(null)} onDone={secrets.reload} />}
      {dialog?.kind === 'delete' && (
        <ConfirmDialog
          title={`Delete secret ${dialog.secret.name}?`}
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api.delete(teamPath(team, 'secrets', dialog.secret.name));
            secrets.reload();
          }}
        >
          <p>Payloads that use {`\${${dialog.secret.name}}`} can no longer be sent. A secret that a webhook uses cannot be deleted.</p>
        </ConfirmDialog>
      )}
    </Section>
  );
}

/** "New secret", or rotating an existing one (same dialog, name fixed): the value is write-only. */
function SecretDialog({ team, existing, onClose, onDone }: { team: string; existing?: string; onClose: () => void; onDone: () => void }) {
  const [name, setName] = useState(existing ?? '');
  const [value, setValue] = useState('');
  const submit = useFormSubmit(async () => {
    if (existing) await api.put(teamPath(team, 'secrets', existing), { value });
    else await api.post(teamPath(team, 'secrets'), { name, value });
    onDone();
    onClose();
  });
  return (
    <FormDialog
      title={existing ? `Rotate ${existing}` : 'New secret'}
      submitLabel={existing ? 'Set new value' : 'Add secret'}
      submit={submit}
      shownFields={['name', 'value']}
      onClose={onClose}
    >
      <Field label="Secret name" error={fieldError(submit.error, 'name')} hint="Like an environment variable: A–Z, 0–9 and _, e.g. GITHUB_TOKEN.">
        {(p) => <input {...p} className="mono" value={name} readOnly={Boolean(existing)} onChange={(e) => setName(e.target.value.toUpperCase())} required autoFocus={!existing} />}
      </Field>
      <Field label="Secret" error={fieldError(submit.error, 'value')} hint={existing ? 'Deliveries sent from now on use the new value.' : 'Stored encrypted; it is never shown again.'}>
        {(p) => <input {...p} type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} required autoFocus={Boolean(existing)} />}
      </Field>
    </FormDialog>
  );
}
