// Team settings (admins): members and roles, Team secrets (write-only values) and Webhooks (with Test).
import { useCallback, useState, type FormEvent } from 'react';
import { api, asApiError, teamPath, type ApiError } from '../api/client';
import type { Member, Page, Role, Secret, Webhook, WebhookTestResult } from '../api/types';
import { useSession, useTeam } from '../session';
import { ConfirmDialog, Empty, Field, fieldError, formatDuration, FormError, LoadError, Modal, RowMenu, Time, useLoad, useSubmit } from '../ui';

export function TeamSettings() {
  const { team, isAdmin } = useTeam();
  // Which webhooks use a secret is shown in the secrets list, so a webhook change reloads it.
  const [webhookChanges, setWebhookChanges] = useState(0);
  const onWebhooksChanged = useCallback(() => setWebhookChanges((n) => n + 1), []);
  if (!isAdmin) {
    return (
      <div className="card">
        <h1>Team settings</h1>
        <p>Only admins of {team} can manage members, secrets and webhooks. Ask one of them if you need a change.</p>
      </div>
    );
  }
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Team settings</h1>
          <p className="sub">Members, secrets and webhooks of {team}.</p>
        </div>
      </div>
      <Members team={team} />
      <TeamSecrets team={team} webhookChanges={webhookChanges} />
      <Webhooks team={team} onChanged={onWebhooksChanged} />
    </>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Members

const ROLES: Role[] = ['admin', 'member', 'viewer'];

function Members({ team }: { team: string }) {
  const { me, refresh } = useSession();
  const members = useLoad(() => api.get<Page<Member>>(teamPath(team, 'members')), `${team}|members`);
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [roleError, setRoleError] = useState<string>();
  const changeRole = async (member: Member, role: Role) => {
    setRoleError(undefined);
    try {
      await api.put(teamPath(team, 'members', member.name), { role });
      members.reload();
      if (member.name === me.user.name) await refresh();
    } catch (error) {
      setRoleError(error instanceof Error ? error.message : String(error));
    }
  };
  return (
    <section className="card" aria-labelledby="members-title">
      <div className="card-head">
        <div>
          <h2 id="members-title">Members</h2>
          <p>Admins manage everything; members work with the registry and automations; viewers read.</p>
        </div>
        <button type="button" onClick={() => setAdding(true)}>
          Add member
        </button>
      </div>
      <LoadError error={members.error} />
      {roleError && (
        <div className="form-error" role="alert">
          {roleError}
        </div>
      )}
      {members.data && (
        <table>
          <thead>
            <tr>
              <th>User</th>
              <th>Role</th>
              <th>Added</th>
              <th className="actions">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
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
          </tbody>
        </table>
      )}
      {adding && <AddMemberDialog team={team} onClose={() => setAdding(false)} onDone={members.reload} />}
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
    </section>
  );
}

function AddMemberDialog({ team, onClose, onDone }: { team: string; onClose: () => void; onDone: () => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('member');
  const submit = useSubmit(async () => {
    await api.put(teamPath(team, 'members', name), { role });
    onDone();
    onClose();
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void submit.run();
  };
  return (
    <Modal title="Add member" onClose={onClose}>
      <form onSubmit={onSubmit}>
        <Field label="User name" error={fieldError(submit.error, 'user', 'path')} hint="An existing user of this Modelyard instance.">
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required autoFocus />}
        </Field>
        <Field label="Role" error={fieldError(submit.error, 'role')}>
          {(p) => (
            <select {...p} value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          )}
        </Field>
        <FormError error={submit.error} shownFields={['user', 'path', 'role']} />
        <div className="buttons">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={submit.busy}>
            Add member
          </button>
        </div>
      </form>
    </Modal>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Team secrets

function TeamSecrets({ team, webhookChanges }: { team: string; webhookChanges: number }) {
  const secrets = useLoad(() => api.get<Page<Secret>>(teamPath(team, 'secrets')), `${team}|secrets|${webhookChanges}`);
  const [dialog, setDialog] = useState<{ kind: 'new' } | { kind: 'rotate'; secret: Secret } | { kind: 'delete'; secret: Secret } | null>(null);
  return (
    <section className="card" aria-labelledby="secrets-title">
      <div className="card-head">
        <div>
          <h2 id="secrets-title">Team secrets</h2>
          <p>Signing secrets and access tokens for webhooks. Values are encrypted and never shown again; use them in payloads as {'${NAME}'}.</p>
        </div>
        <button type="button" className="primary" onClick={() => setDialog({ kind: 'new' })}>
          New secret
        </button>
      </div>
      <LoadError error={secrets.error} />
      {secrets.data && secrets.data.items.length === 0 ? (
        <Empty title="No secrets yet.">
          <p>Add one with “New secret” before creating a webhook that signs its payloads or sends an access token.</p>
        </Empty>
      ) : (
        secrets.data && (
          <table aria-label="Team secrets">
            <thead>
              <tr>
                <th>Name</th>
                <th>Used by webhooks</th>
                <th>Last set by</th>
                <th>Last set</th>
                <th className="actions">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {secrets.data.items.map((s) => (
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
            </tbody>
          </table>
        )
      )}
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
    </section>
  );
}

/** "New secret", or rotating an existing one (same dialog, name fixed): the value is write-only. */
function SecretDialog({ team, existing, onClose, onDone }: { team: string; existing?: string; onClose: () => void; onDone: () => void }) {
  const [name, setName] = useState(existing ?? '');
  const [value, setValue] = useState('');
  const submit = useSubmit(async () => {
    if (existing) await api.put(teamPath(team, 'secrets', existing), { value });
    else await api.post(teamPath(team, 'secrets'), { name, value });
    onDone();
    onClose();
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void submit.run();
  };
  return (
    <Modal title={existing ? `Rotate ${existing}` : 'New secret'} onClose={onClose}>
      <form onSubmit={onSubmit}>
        <Field label="Secret name" error={fieldError(submit.error, 'name')} hint="Like an environment variable: A–Z, 0–9 and _, e.g. GITHUB_TOKEN.">
          {(p) => <input {...p} className="mono" value={name} readOnly={Boolean(existing)} onChange={(e) => setName(e.target.value.toUpperCase())} required autoFocus={!existing} />}
        </Field>
        <Field label="Secret" error={fieldError(submit.error, 'value')} hint={existing ? 'Deliveries sent from now on use the new value.' : 'Stored encrypted; it is never shown again.'}>
          {(p) => <input {...p} type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} required autoFocus={Boolean(existing)} />}
        </Field>
        <FormError error={submit.error} shownFields={['name', 'value']} />
        <div className="buttons">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={submit.busy}>
            {existing ? 'Set new value' : 'Add secret'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Webhooks

type WebhookDialog = { kind: 'new' } | { kind: 'edit'; webhook: Webhook } | { kind: 'test'; webhook: Webhook } | { kind: 'delete'; webhook: Webhook } | null;

function Webhooks({ team, onChanged }: { team: string; onChanged: () => void }) {
  const webhooks = useLoad(() => api.get<Page<Webhook>>(teamPath(team, 'webhooks')), `${team}|webhooks`);
  const reload = () => {
    webhooks.reload();
    onChanged();
  };
  const [enableError, setEnableError] = useState<ApiError>();
  const enable = async (webhook: Webhook) => {
    setEnableError(undefined);
    try {
      await api.patch(teamPath(team, 'webhooks', webhook.id), { enabled: true });
      reload();
    } catch (error) {
      setEnableError(asApiError(error));
    }
  };
  const [dialog, setDialog] = useState<WebhookDialog>(null);
  return (
    <section className="card" aria-labelledby="webhooks-title">
      <div className="card-head">
        <div>
          <h2 id="webhooks-title">Webhooks</h2>
          <p>Endpoints automations can call. Payloads are signed with the selected secret (X-Wandb-Signature and Standard Webhooks headers).</p>
        </div>
        <button type="button" className="primary" onClick={() => setDialog({ kind: 'new' })}>
          New webhook
        </button>
      </div>
      <LoadError error={webhooks.error} />
      <FormError error={enableError} />
      {webhooks.data && webhooks.data.items.length === 0 ? (
        <Empty title="No webhooks yet.">
          <p>Create one with “New webhook”, then use it in an automation. Use “Test” in its menu to see what your endpoint answers.</p>
        </Empty>
      ) : (
        webhooks.data && (
          <table aria-label="Webhooks">
            <thead>
              <tr>
                <th>Name</th>
                <th>URL</th>
                <th>Secret</th>
                <th>Access token</th>
                <th>Status</th>
                <th className="actions">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {webhooks.data.items.map((w) => (
                <tr key={w.id}>
                  <td>{w.name}</td>
                  <td className="mono small" style={{ overflowWrap: 'anywhere' }}>
                    {w.url}
                  </td>
                  <td className="mono">{w.secret ?? <span className="muted">—</span>}</td>
                  <td className="mono">{w.accessToken ?? <span className="muted">—</span>}</td>
                  <td>
                    {w.disabled ? (
                      <span className="badge fail" title={`Disabled ${w.disabled.at}`}>
                        Disabled: {w.disabled.reason || 'by an admin'}
                      </span>
                    ) : (
                      <span className="badge ok">Active</span>
                    )}
                  </td>
                  <td className="actions">
                    <RowMenu
                      label={`Actions for webhook ${w.name}`}
                      items={[
                        { label: 'Test', onSelect: () => setDialog({ kind: 'test', webhook: w }) },
                        { label: 'Edit', onSelect: () => setDialog({ kind: 'edit', webhook: w }) },
                        ...(w.disabled ? [{ label: 'Enable', onSelect: () => void enable(w) }] : []),
                        { label: 'Delete', danger: true, onSelect: () => setDialog({ kind: 'delete', webhook: w }) },
                      ]}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      )}
      {(dialog?.kind === 'new' || dialog?.kind === 'edit') && (
        <WebhookForm team={team} webhook={dialog.kind === 'edit' ? dialog.webhook : undefined} onClose={() => setDialog(null)} onDone={reload} />
      )}
      {dialog?.kind === 'test' && <TestWebhookDialog team={team} webhook={dialog.webhook} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'delete' && (
        <ConfirmDialog
          title={`Delete webhook “${dialog.webhook.name}”?`}
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api.delete(teamPath(team, 'webhooks', dialog.webhook.id));
            reload();
          }}
        >
          <p>Automations can no longer use it. Deliveries already under way still finish.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function WebhookForm({ team, webhook, onClose, onDone }: { team: string; webhook?: Webhook; onClose: () => void; onDone: () => void }) {
  const secrets = useLoad(() => api.get<Page<Secret>>(teamPath(team, 'secrets')), `${team}|secrets`);
  const [name, setName] = useState(webhook?.name ?? '');
  const [url, setUrl] = useState(webhook?.url ?? '');
  const [secret, setSecret] = useState(webhook?.secret ?? '');
  const [accessToken, setAccessToken] = useState(webhook?.accessToken ?? '');
  const submit = useSubmit(async () => {
    const body = { name, url, secret: secret || null, accessToken: accessToken || null };
    if (webhook) await api.patch(teamPath(team, 'webhooks', webhook.id), body);
    else await api.post(teamPath(team, 'webhooks'), body);
    onDone();
    onClose();
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void submit.run();
  };
  const secretOptions = (secrets.data?.items ?? []).map((s) => (
    <option key={s.name} value={s.name}>
      {s.name}
    </option>
  ));
  return (
    <Modal title={webhook ? `Edit webhook ${webhook.name}` : 'New webhook'} onClose={onClose}>
      <form onSubmit={onSubmit}>
        <Field label="Name" error={fieldError(submit.error, 'name')}>
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required maxLength={64} autoFocus />}
        </Field>
        <Field label="URL" error={fieldError(submit.error, 'url')} hint="An https URL whose host is a name (not an IP address or localhost).">
          {(p) => <input {...p} className="mono" value={url} onChange={(e) => setUrl(e.target.value)} required placeholder="https://api.github.com/repos/OWNER/REPO/dispatches" />}
        </Field>
        <Field label="Secret" error={fieldError(submit.error, 'secret')} hint="Optional: signs each payload (X-Wandb-Signature, webhook-signature).">
          {(p) => (
            <select {...p} value={secret} onChange={(e) => setSecret(e.target.value)}>
              <option value="">No secret</option>
              {secretOptions}
            </select>
          )}
        </Field>
        <Field label="Access token" error={fieldError(submit.error, 'accessToken')} hint="Optional: sent as “Authorization: Bearer …”.">
          {(p) => (
            <select {...p} value={accessToken} onChange={(e) => setAccessToken(e.target.value)}>
              <option value="">No access token</option>
              {secretOptions}
            </select>
          )}
        </Field>
        {secrets.data && secrets.data.items.length === 0 && <p className="muted small">No team secrets yet: add one under “Team secrets” to sign payloads or send a token.</p>}
        <FormError error={submit.error} shownFields={['name', 'url', 'secret', 'accessToken']} />
        <div className="buttons">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={submit.busy}>
            {webhook ? 'Save webhook' : 'Create webhook'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

const SAMPLE_TEST_PAYLOAD = '{\n  "event_type": "LINK_ARTIFACT",\n  "message": "Test from Modelyard"\n}';

/** The reference system's "Test" panel: paste a payload, send it signed like a delivery, see the answer. */
function TestWebhookDialog({ team, webhook, onClose }: { team: string; webhook: Webhook; onClose: () => void }) {
  const [payload, setPayload] = useState(SAMPLE_TEST_PAYLOAD);
  const [result, setResult] = useState<WebhookTestResult>();
  const submit = useSubmit(async () => {
    setResult(undefined);
    setResult(await api.post<WebhookTestResult>(teamPath(team, 'webhooks', webhook.id, 'test'), { payload }));
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void submit.run();
  };
  return (
    <Modal title={`Test webhook ${webhook.name}`} onClose={onClose} wide>
      <form onSubmit={onSubmit}>
        <p className="muted small mono">POST {webhook.url}</p>
        <Field label="Payload" error={fieldError(submit.error, 'payload')} hint="Sent as it is, signed exactly like a real delivery. Nothing is stored.">
          {(p) => <textarea {...p} className="code" style={{ minHeight: 140 }} value={payload} onChange={(e) => setPayload(e.target.value)} spellCheck={false} />}
        </Field>
        <FormError error={submit.error} shownFields={['payload']} />
        <div className="buttons" style={{ position: 'static' }}>
          <button type="submit" className="primary" disabled={submit.busy}>
            {submit.busy ? 'Sending…' : 'Test webhook'}
          </button>
        </div>
      </form>
      {result && (
        <section aria-label="Response" aria-live="polite">
          <h3>Response</h3>
          <dl className="props">
            <dt>Status</dt>
            <dd>
              {result.status === null ? (
                <span className="badge fail">No response</span>
              ) : (
                <span className={`badge ${result.status < 300 ? 'ok' : 'fail'}`} aria-label="Response status">
                  {result.status}
                </span>
              )}
            </dd>
            <dt>Duration</dt>
            <dd>{formatDuration(result.durationMs)}</dd>
            {result.error && (
              <>
                <dt>Error</dt>
                <dd className="field-error">{result.error}</dd>
              </>
            )}
          </dl>
          <h3>Headers</h3>
          <HeaderTable headers={result.headers} label="Response headers" />
          <h3>Body</h3>
          <pre aria-label="Response body">{result.body || '(empty)'}</pre>
          <details>
            <summary>Request sent</summary>
            <HeaderTable headers={result.request.headers} label="Request headers" />
            <pre aria-label="Request body">{result.request.body}</pre>
          </details>
        </section>
      )}
    </Modal>
  );
}

export function HeaderTable({ headers, label }: { headers: Record<string, string | string[]>; label: string }) {
  const entries = Object.entries(headers);
  if (entries.length === 0) return <p className="muted">None.</p>;
  return (
    <table aria-label={label} className="small">
      <tbody>
        {entries.map(([name, value]) => (
          <tr key={name}>
            <td className="mono" style={{ width: '30%' }}>
              {name}
            </td>
            <td className="mono" style={{ overflowWrap: 'anywhere' }}>
              {Array.isArray(value) ? value.join(', ') : value}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
