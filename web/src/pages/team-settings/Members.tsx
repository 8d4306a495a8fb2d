// Team settings › Members: who is in the team and with which role; add, change a role, remove.
import { useState } from 'react';
import { api, asApiError, teamPath } from '../../api/client';
import type { Member, Page, Role } from '../../api/types';
import { useSession } from '../../session';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { Field, fieldError } from '../../components/Field';
import { FormDialog } from '../../components/FormDialog';
import { Section } from '../../components/Layout';
import { RowMenu } from '../../components/RowMenu';
import { LoadError } from '../../components/Status';
import { Time } from '../../components/Time';
import { useLoad } from '../../components/useLoad';
import { useFormSubmit } from '../../components/useSubmit';
import { DataTable } from '../../components/DataTable';
import { useNotify } from '../../components/Notices';
import { PasswordShownOnce } from '../Admin';

const ROLES: Role[] = ['admin', 'member', 'viewer'];

export function Members({ team }: { team: string }) {
  const { me, refresh } = useSession();
  const notify = useNotify();
  const members = useLoad(() => api.get<Page<Member>>(teamPath(team, 'members')), `${team}|members`);
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [roleError, setRoleError] = useState<string>();
  /** A user created in place by "Add member": their generated password, shown once. */
  const [created, setCreated] = useState<{ name: string; password: string } | null>(null);
  const changeRole = async (member: Member, role: Role) => {
    setRoleError(undefined);
    try {
      await api.put(teamPath(team, 'members', member.name), { role });
      notify(`${member.name} is now ${role === 'admin' ? 'an admin' : `a ${role}`} of ${team}.`);
      members.reload();
      if (member.name === me.user.name) await refresh();
    } catch (error) {
      setRoleError(asApiError(error).sentence);
    }
  };
  return (
    <Section
      title="Members"
      intro="Admins manage everything; members work with the registry and automations; viewers read."
      actions={
        <button type="button" onClick={() => setAdding(true)}>
          Add member
        </button>
      }
    >
      <LoadError error={members.error} />
      {roleError && (
        <div className="form-error" role="alert">
          {roleError}
        </div>
      )}
      {members.data && (
        <DataTable columns={['User', 'Role', 'Added']} withActions>
          {members.data.items.map((m) => (
            <tr key={m.id}>
              <td>{m.name}</td>
              <td>
                <select aria-label={`Role of ${m.name}`} value={m.role} onChange={(e) => void changeRole(m, e.target.value as Role)}>
                  {ROLES.map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </select>
              </td>
              <td>
                <Time value={m.addedAt} />
              </td>
              <td className="actions">
                <RowMenu label={`Actions for ${m.name}`} items={[{ label: 'Remove', danger: true, onSelect: () => setRemoving(m) }]} />
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {adding && (
        <AddMemberDialog
          team={team}
          canCreateUsers={me.user.isAdmin}
          onClose={() => setAdding(false)}
          onDone={(added) => {
            members.reload();
            notify(`${added.name} is now ${added.role === 'admin' ? 'an admin' : `a ${added.role}`} of ${team}.`);
            if (added.password) setCreated({ name: added.name, password: added.password });
          }}
        />
      )}
      {created && <PasswordShownOnce name={created.name} password={created.password} created onClose={() => setCreated(null)} />}
      {removing && (
        <ConfirmDialog
          title={`Remove ${removing.name} from ${team}?`}
          confirmLabel="Remove"
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            await api.delete(teamPath(team, 'members', removing.name));
            members.reload();
          }}
        >
          <p>They lose access to the team’s registry, automations and history at once.</p>
        </ConfirmDialog>
      )}
    </Section>
  );
}

function AddMemberDialog({
  team,
  canCreateUsers,
  onClose,
  onDone,
}: {
  team: string;
  /** Instance admins may create the user here (with a generated password) when they are new to the instance. */
  canCreateUsers: boolean;
  onClose: () => void;
  onDone: (added: { name: string; role: Role; password?: string }) => void;
}) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [createUser, setCreateUser] = useState(false);
  const submit = useFormSubmit(async () => {
    const password = createUser ? (await api.post<{ password?: string }>('/api/v1/users', { name })).password : undefined;
    await api.put(teamPath(team, 'members', name), { role });
    onDone({ name, role, ...(password ? { password } : {}) });
    onClose();
  });
  return (
    <FormDialog title="Add member" submitLabel="Add member" submit={submit} shownFields={['user', 'path', 'role', 'name']} onClose={onClose}>
      <Field
        label="User name"
        error={fieldError(submit.error, 'user', 'path', 'name')}
        hint={createUser ? 'A new user of this instance: a password is generated and shown once.' : 'An existing user of this Modelyard instance.'}
      >
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required autoFocus />}
      </Field>
      {canCreateUsers && (
        <label className="row" style={{ marginBottom: 8 }}>
          <input type="checkbox" checked={createUser} onChange={(e) => setCreateUser(e.target.checked)} />
          Create this user (new to the instance)
        </label>
      )}
      <Field label="Role" error={fieldError(submit.error, 'role')}>
        {(p) => (
          <select {...p} value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        )}
      </Field>
    </FormDialog>
  );
}
