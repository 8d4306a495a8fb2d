// Users of the instance, for instance admins: create a user (with a generated password shown once), reset a
// password, deactivate a user (their sessions end and their API keys are revoked) or let them back in.
import { useState } from 'react';
import { api } from '../api/client';
import type { Json } from '../api/types';
import { useSession } from '../session';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { CopyButton } from '../components/CopyButton';
import { DataTable } from '../components/DataTable';
import { Field, fieldError } from '../components/Field';
import { FormDialog } from '../components/FormDialog';
import { PageHead } from '../components/Layout';
import { LoadedList } from '../components/LoadedList';
import { Modal } from '../components/Modal';
import { useNotify } from '../components/Notices';
import { RowMenu } from '../components/RowMenu';
import { Empty } from '../components/Status';
import { Time } from '../components/Time';
import { useLoad } from '../components/useLoad';
import { useFormSubmit } from '../components/useSubmit';

type AdminUser = Json<'/api/v1/users', 'get'>['items'][number];
type CreatedUser = Json<'/api/v1/users', 'post', 201>;

type Dialog = { kind: 'create' } | { kind: 'reset'; user: AdminUser } | { kind: 'deactivate'; user: AdminUser } | null;
/** A password just generated, shown once. */
type Shown = { name: string; password: string; created: boolean } | null;

export function Admin() {
  const { me } = useSession();
  const notify = useNotify();
  const users = useLoad(() => api.get<Json<'/api/v1/users', 'get'>>('/api/v1/users'), 'admin-users');
  const [dialog, setDialog] = useState<Dialog>(null);
  const [shown, setShown] = useState<Shown>(null);
  if (!me.user.isAdmin) {
    return (
      <div className="card">
        <h1>Users</h1>
        <p>Only instance admins manage the users of this Modelyard instance.</p>
      </div>
    );
  }
  return (
    <>
      <PageHead
        title="Users"
        sub="Everyone who can log in to this Modelyard instance. Team admins add users to their teams under Team settings."
        actions={
          <button type="button" className="primary" onClick={() => setDialog({ kind: 'create' })}>
            New user
          </button>
        }
      />
      <div className="card">
        <LoadedList loaded={users} loadingWhat="users" empty={<Empty title="No users." />}>
          {(items) => (
            <DataTable label="Users" columns={['Name', 'Instance admin', 'Status', 'API keys', 'Created']} withActions>
              {items.map((u) => (
                <tr key={u.id}>
                  <td>{u.name}</td>
                  <td>{u.isAdmin ? 'Yes' : 'No'}</td>
                  <td>
                    {u.active ? (
                      <span className="badge ok">Active</span>
                    ) : (
                      <span className="badge" title={u.deactivatedAt ? `Deactivated ${new Date(u.deactivatedAt).toLocaleString()}` : undefined}>
                        Deactivated
                      </span>
                    )}
                  </td>
                  <td>{u.apiKeys}</td>
                  <td>
                    <Time value={u.createdAt} />
                  </td>
                  <td className="actions">
                    {u.id !== me.user.id && (
                      <RowMenu
                        label={`Actions for user ${u.name}`}
                        items={[
                          { label: 'Reset password', onSelect: () => setDialog({ kind: 'reset', user: u }) },
                          u.active
                            ? { label: 'Deactivate', danger: true, onSelect: () => setDialog({ kind: 'deactivate', user: u }) }
                            : {
                                label: 'Reactivate',
                                onSelect: () =>
                                  void api.post(`/api/v1/users/${encodeURIComponent(u.name)}/activate`).then(() => {
                                    notify(`${u.name} can log in again.`);
                                    users.reload();
                                  }),
                              },
                        ]}
                      />
                    )}
                  </td>
                </tr>
              ))}
            </DataTable>
          )}
        </LoadedList>
      </div>
      {dialog?.kind === 'create' && (
        <NewUserDialog
          onClose={() => setDialog(null)}
          onCreated={(user) => {
            users.reload();
            setDialog(null);
            setShown({ name: user.name, password: user.password ?? '', created: true });
          }}
        />
      )}
      {dialog?.kind === 'reset' && (
        <ConfirmDialog
          title={`Reset the password of ${dialog.user.name}?`}
          confirmLabel="Reset password"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            const answer = await api.post<{ password: string }>(`/api/v1/users/${encodeURIComponent(dialog.user.name)}/password`, {});
            setShown({ name: dialog.user.name, password: answer.password, created: false });
          }}
        >
          <p>A new password is generated and shown once. {dialog.user.name} is logged out everywhere; their API keys keep working.</p>
        </ConfirmDialog>
      )}
      {dialog?.kind === 'deactivate' && (
        <ConfirmDialog
          title={`Deactivate ${dialog.user.name}?`}
          confirmLabel="Deactivate"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api.post(`/api/v1/users/${encodeURIComponent(dialog.user.name)}/deactivate`);
            notify(`Deactivated ${dialog.user.name}: logged out, ${dialog.user.apiKeys} API key${dialog.user.apiKeys === 1 ? '' : 's'} revoked.`);
            users.reload();
          }}
        >
          <p>
            {dialog.user.name} can no longer log in and is logged out now. Their {dialog.user.apiKeys === 1 ? 'API key is' : `${dialog.user.apiKeys} API keys are`} revoked, so agents
            and CI jobs using {dialog.user.apiKeys === 1 ? 'it' : 'them'} stop working. Their team memberships and history stay; you can reactivate them later.
          </p>
        </ConfirmDialog>
      )}
      {shown && <PasswordShownOnce name={shown.name} password={shown.password} created={shown.created} onClose={() => setShown(null)} />}
    </>
  );
}

export function PasswordShownOnce({ name, password, created, onClose }: { name: string; password: string; created: boolean; onClose: () => void }) {
  return (
    <Modal title={created ? `User ${name} created` : `New password for ${name}`} onClose={onClose}>
      <p>Give this password to {name} by a safe way: it is not shown again. They log in with the user name “{name}”.</p>
      <pre aria-label="Generated password">{password}</pre>
      <div className="buttons">
        <CopyButton value={password} label="Copy password" />
        <button type="button" className="primary" onClick={onClose}>
          Done
        </button>
      </div>
    </Modal>
  );
}

/** A new user of the instance with a generated password (returned once). */
export function NewUserDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (user: CreatedUser) => void }) {
  const [name, setName] = useState('');
  const [isAdmin, setIsAdmin] = useState(false);
  const submit = useFormSubmit(async () => {
    onCreated(await api.post<CreatedUser>('/api/v1/users', { name, isAdmin }));
  });
  return (
    <FormDialog title="New user" submitLabel="Create user" submit={submit} shownFields={['name']} onClose={onClose}>
      <Field label="User name" error={fieldError(submit.error, 'name')} hint="Letters, digits, “-”, “_” and “.”. A password is generated and shown once.">
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required autoFocus />}
      </Field>
      <label className="row">
        <input type="checkbox" checked={isAdmin} onChange={(e) => setIsAdmin(e.target.checked)} />
        Instance admin (manages users; any user can create teams)
      </label>
    </FormDialog>
  );
}
