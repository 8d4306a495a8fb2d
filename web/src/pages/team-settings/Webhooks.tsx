// Team settings › Webhooks: the endpoints automations can call, with their signing secret and access token (by
// name), enable after an automatic disable, edit (flood-control limits included), delete, and Test
// (TestWebhookDialog). Each name leads to the webhook's page with its endpoint's health (WebhookPage).
import { useRef, useState } from 'react';
import { Link } from 'react-router';
import { api, asApiError, teamPath, type ApiError } from '../../api/client';
import type { Page, Secret, Webhook } from '../../api/types';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { Field, fieldError, FormError } from '../../components/Field';
import { FormDialog } from '../../components/FormDialog';
import { HeadersEditor, headersForApi } from '../../components/HeadersEditor';
import { Section } from '../../components/Layout';
import { LoadedList } from '../../components/LoadedList';
import { RowMenu } from '../../components/RowMenu';
import { Empty } from '../../components/Status';
import { useLoad } from '../../components/useLoad';
import { useFormSubmit } from '../../components/useSubmit';
import { DataTable } from '../../components/DataTable';
import { TestWebhookDialog } from './TestWebhookDialog';
import { TruncatedUrl, WebhookDisabledBadge } from '../../components/WebhookBadge';
import { WebhookUsers } from '../../components/WebhookUsers';
import { teamUrl } from '../../session';

/** The server's maxima for the flood-control limits (core/endpoint-limits.ts); the browser checks them as typed. */
const MAX_CONCURRENCY = 1000;
const MAX_PER_SECOND = 10_000;

type WebhookDialog = { kind: 'new' } | { kind: 'edit'; webhook: Webhook } | { kind: 'test'; webhook: Webhook } | { kind: 'delete'; webhook: Webhook } | null;

/** `onChanged` tells the page a webhook was created, changed or deleted (the secrets list shows who uses what). */
export function Webhooks({ team, onChanged }: { team: string; onChanged: () => void }) {
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
    <Section
      title="Webhooks"
      intro="Endpoints automations can call. Payloads are signed with the selected secret (X-Wandb-Signature and Standard Webhooks headers)."
      actions={
        <button type="button" onClick={() => setDialog({ kind: 'new' })}>
          New webhook
        </button>
      }
    >
      <FormError error={enableError} />
      <LoadedList
        loaded={webhooks}
        empty={
          <Empty title="No webhooks yet.">
            <p>Create one with “New webhook”, then use it in an automation. Use “Test” in its menu to see what your endpoint answers.</p>
          </Empty>
        }
      >
        {(items) => (
          <DataTable label="Webhooks" columns={['Name', 'URL', 'Secret', 'Access token', 'Status']} withActions>
            {items.map((w) => (
              <tr key={w.id}>
                <td>
                  <Link to={teamUrl(team, 'settings', 'webhooks', w.id)}>{w.name}</Link>
                </td>
                <td className="mono small">
                  {w.mode === 'listen' ? <span className="muted">listen: modelyard listen --webhook "{w.name}"</span> : w.url && <TruncatedUrl url={w.url} />}
                </td>
                <td className="mono">{w.secret ?? <span className="muted">—</span>}</td>
                <td className="mono">{w.accessToken ?? <span className="muted">—</span>}</td>
                <td>
                  {w.disabled ? (
                    <WebhookDisabledBadge webhook={w} />
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
          </DataTable>
        )}
      </LoadedList>
      {(dialog?.kind === 'new' || dialog?.kind === 'edit') && (
        <WebhookForm
          team={team}
          webhook={dialog.kind === 'edit' ? dialog.webhook : undefined}
          onClose={() => setDialog(null)}
          onDone={reload}
          onTest={(saved) => setDialog({ kind: 'test', webhook: saved })}
        />
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
          <WebhookUsers team={team} webhookId={dialog.webhook.id} />
        </ConfirmDialog>
      )}
    </Section>
  );
}

/**
 * "New webhook", or editing one: the secret and the access token are chosen by name from the team's secrets. "Create
 * and test" / "Save and test" saves first and then opens the Test dialog for the webhook as saved: a test goes through
 * the server's own rules (SSRF, secrets, headers), which apply to a saved webhook.
 */
/** A limit as typed: empty is unlimited (null); anything else is sent as a number for the server to judge. */
function limitFromInput(text: string): number | null {
  return text.trim() === '' ? null : Number(text);
}

export function WebhookForm({
  team,
  webhook,
  onClose,
  onDone,
  onTest,
}: {
  team: string;
  webhook?: Webhook | undefined;
  onClose: () => void;
  onDone: () => void;
  onTest: (saved: Webhook) => void;
}) {
  const thenTest = useRef(false);
  const secrets = useLoad(() => api.get<Page<Secret>>(teamPath(team, 'secrets')), `${team}|secrets`);
  const [name, setName] = useState(webhook?.name ?? '');
  const [url, setUrl] = useState(webhook?.url ?? '');
  const [secret, setSecret] = useState(webhook?.secret ?? '');
  const [accessToken, setAccessToken] = useState(webhook?.accessToken ?? '');
  const [headers, setHeaders] = useState(webhook?.headers ?? []);
  const [maxConcurrency, setMaxConcurrency] = useState(webhook?.maxConcurrency?.toString() ?? '');
  const [maxPerSecond, setMaxPerSecond] = useState(webhook?.maxPerSecond?.toString() ?? '');
  const submit = useFormSubmit(async () => {
    // A listen webhook has no URL (its deliveries go through the event stream: docs/receivers.md).
    const listen = webhook?.mode === 'listen';
    const body = {
      name,
      ...(listen ? {} : { url }),
      secret: secret || null,
      accessToken: accessToken || null,
      headers: headersForApi(headers),
      maxConcurrency: limitFromInput(maxConcurrency),
      maxPerSecond: limitFromInput(maxPerSecond),
    };
    const andTest = thenTest.current;
    const saved = webhook ? await api.patch<Webhook>(teamPath(team, 'webhooks', webhook.id), body) : await api.post<Webhook>(teamPath(team, 'webhooks'), body);
    onDone();
    if (andTest) onTest(saved);
    else onClose();
  });
  const secretOptions = (secrets.data?.items ?? []).map((s) => (
    <option key={s.name} value={s.name}>
      {s.name}
    </option>
  ));
  return (
    <FormDialog
      title={webhook ? `Edit webhook ${webhook.name}` : 'New webhook'}
      submitLabel={webhook ? 'Save webhook' : 'Create webhook'}
      submit={submit}
      shownFields={['name', 'url', 'secret', 'accessToken', 'headers', 'maxConcurrency', 'maxPerSecond']}
      onClose={onClose}
      secondary={webhook?.mode === 'listen' ? undefined : { label: webhook ? 'Save and test' : 'Create and test', choose: (test) => (thenTest.current = test) }}
    >
      <Field label="Name" error={fieldError(submit.error, 'name')}>
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required maxLength={64} autoFocus />}
      </Field>
      {webhook?.mode !== 'listen' && (
        <Field label="URL" error={fieldError(submit.error, 'url')} hint="An https URL whose host is a name (not an IP address or localhost).">
          {(p) => <input {...p} className="mono" value={url} onChange={(e) => setUrl(e.target.value)} required placeholder="https://api.github.com/repos/OWNER/REPO/dispatches" />}
        </Field>
      )}
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
      <HeadersEditor
        rows={headers}
        onChange={setHeaders}
        secrets={[...new Set([secret, accessToken].filter(Boolean))]}
        error={fieldError(submit.error, 'headers')}
        errorField={submit.error?.field}
      />
      {webhook?.mode !== 'listen' && (
        <div className="field-row">
          <LimitField
            label="Max concurrency"
            error={fieldError(submit.error, 'maxConcurrency')}
            hint="Optional: at most this many requests in flight at once (1–1000). Empty: unlimited."
            max={MAX_CONCURRENCY}
            value={maxConcurrency}
            onChange={setMaxConcurrency}
          />
          <LimitField
            label="Max per second"
            error={fieldError(submit.error, 'maxPerSecond')}
            hint="Optional: at most this many requests in any second (1–10000). Runs over a limit wait; none is dropped."
            max={MAX_PER_SECOND}
            value={maxPerSecond}
            onChange={setMaxPerSecond}
          />
        </div>
      )}
      {secrets.data && secrets.data.items.length === 0 && <p className="muted small">No team secrets yet: add one under “Team secrets” to sign payloads or send a token.</p>}
    </FormDialog>
  );
}

/** A webhook's optional flood-control limit: a whole number from 1 to `max`, empty for unlimited. */
function LimitField({ label, error, hint, max, value, onChange }: { label: string; error: string | undefined; hint: string; max: number; value: string; onChange: (value: string) => void }) {
  return (
    <Field label={label} error={error} hint={hint}>
      {(p) => (
        <input {...p} type="number" inputMode="numeric" min={1} max={max} step={1} value={value} onChange={(e) => onChange(e.target.value)} placeholder="unlimited" />
      )}
    </Field>
  );
}
