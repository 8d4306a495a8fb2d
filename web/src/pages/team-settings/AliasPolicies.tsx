// Team settings › Alias policies: which aliases are governed, who may move them, how many approvals and which checks
// a move needs (a direct change is then refused and a promotion request is the way).
import { useState } from 'react';
import { api, teamPath } from '../../api/client';
import type { Body, Json } from '../../api/types';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { Field, fieldError } from '../../components/Field';
import { FormDialog } from '../../components/FormDialog';
import { Section } from '../../components/Layout';
import { LoadedList } from '../../components/LoadedList';
import { RowMenu } from '../../components/RowMenu';
import { Empty } from '../../components/Status';
import { useLoad } from '../../components/useLoad';
import { useFormSubmit } from '../../components/useSubmit';
import { DataTable } from '../../components/DataTable';

type Policy = Json<'/api/v1/teams/{team}/registry/alias-policies', 'get'>['items'][number];
type PolicyInput = Body<'/api/v1/teams/{team}/registry/alias-policies', 'post'>;

export function AliasPolicies({ team }: { team: string }) {
  const path = teamPath(team, 'registry', 'alias-policies');
  const policies = useLoad(() => api.get<{ items: Policy[] }>(path), path);
  const [dialog, setDialog] = useState<{ kind: 'new' } | { kind: 'edit'; policy: Policy } | { kind: 'delete'; policy: Policy } | null>(null);
  return (
    <Section
      title="Alias policies"
      intro="Protect aliases such as production: who may move them, and how many approvals and which passing checks a promotion needs."
      actions={
        <button type="button" className="primary" onClick={() => setDialog({ kind: 'new' })}>
          New policy
        </button>
      }
    >
      <LoadedList
        loaded={policies}
        empty={
          <Empty title="No alias policies yet.">
            <p>Without a policy, any member can move any alias directly.</p>
          </Empty>
        }
      >
        {(items) => (
          <DataTable label="Alias policies" columns={['Alias pattern', 'Model', 'Set by', 'Approvals', 'Required checks']} withActions>
            {items.map((p) => (
              <tr key={p.id}>
                <td className="mono">{p.aliasPattern}</td>
                <td>{p.model ?? <span className="muted">every model</span>}</td>
                <td>{p.setBy === 'admin' ? 'admins' : 'members'}</td>
                <td>{p.approvals}</td>
                <td>{p.requiredChecks.length ? p.requiredChecks.join(', ') : <span className="muted">—</span>}</td>
                <td className="actions">
                  <RowMenu
                    label={`Actions for policy ${p.aliasPattern}`}
                    items={[
                      { label: 'Edit', onSelect: () => setDialog({ kind: 'edit', policy: p }) },
                      { label: 'Delete', danger: true, onSelect: () => setDialog({ kind: 'delete', policy: p }) },
                    ]}
                  />
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </LoadedList>
      {(dialog?.kind === 'new' || dialog?.kind === 'edit') && (
        <PolicyDialog path={path} policy={dialog.kind === 'edit' ? dialog.policy : undefined} onClose={() => setDialog(null)} onDone={policies.reload} />
      )}
      {dialog?.kind === 'delete' && (
        <ConfirmDialog
          title={`Delete the policy for ${dialog.policy.aliasPattern}?`}
          confirmLabel="Delete policy"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api.delete(`${path}/${encodeURIComponent(dialog.policy.id)}`);
            policies.reload();
          }}
        >
          <p>Aliases it covered can then be moved directly again (unless another policy covers them).</p>
        </ConfirmDialog>
      )}
    </Section>
  );
}

function PolicyDialog({ path, policy, onClose, onDone }: { path: string; policy: Policy | undefined; onClose: () => void; onDone: () => void }) {
  const [aliasPattern, setAliasPattern] = useState(policy?.aliasPattern ?? '^production$');
  const [model, setModel] = useState(policy?.model ?? '');
  const [setBy, setSetBy] = useState<'admin' | 'member'>(policy?.setBy ?? 'member');
  const [approvals, setApprovals] = useState(String(policy?.approvals ?? 1));
  const [checks, setChecks] = useState(policy?.requiredChecks.join(', ') ?? '');
  const submit = useFormSubmit(async () => {
    const input: PolicyInput = {
      aliasPattern,
      model: model.trim() || null,
      setBy,
      approvals: Number(approvals),
      requiredChecks: checks
        .split(/[\s,]+/)
        .map((c) => c.trim())
        .filter(Boolean),
    };
    if (policy) await api.patch(`${path}/${encodeURIComponent(policy.id)}`, input);
    else await api.post(path, input);
    onDone();
    onClose();
  });
  return (
    <FormDialog
      title={policy ? 'Edit alias policy' : 'New alias policy'}
      submitLabel={policy ? 'Save policy' : 'Create policy'}
      submit={submit}
      shownFields={['aliasPattern', 'model', 'setBy', 'approvals', 'requiredChecks']}
      onClose={onClose}
    >
      <Field label="Alias pattern" error={fieldError(submit.error, 'aliasPattern')} hint="A regular expression; anchor it (^production$) for one alias.">
        {(p) => <input {...p} className="mono" value={aliasPattern} onChange={(e) => setAliasPattern(e.target.value)} required autoFocus />}
      </Field>
      <Field label="Registered model" error={fieldError(submit.error, 'model')} hint="Leave empty for every model of the team.">
        {(p) => <input {...p} value={model} onChange={(e) => setModel(e.target.value)} />}
      </Field>
      <Field label="Who may move it" error={fieldError(submit.error, 'setBy')}>
        {(p) => (
          <select {...p} value={setBy} onChange={(e) => setSetBy(e.target.value as 'admin' | 'member')}>
            <option value="member">Members and admins</option>
            <option value="admin">Admins only</option>
          </select>
        )}
      </Field>
      <Field label="Approvals" error={fieldError(submit.error, 'approvals')} hint="0–5 approvals by people other than the requester.">
        {(p) => <input {...p} type="number" min={0} max={5} value={approvals} onChange={(e) => setApprovals(e.target.value)} required />}
      </Field>
      <Field label="Required checks" error={fieldError(submit.error, 'requiredChecks')} hint="Check names that must be success on the version, e.g. eval.">
        {(p) => <input {...p} value={checks} onChange={(e) => setChecks(e.target.value)} />}
      </Field>
    </FormDialog>
  );
}
