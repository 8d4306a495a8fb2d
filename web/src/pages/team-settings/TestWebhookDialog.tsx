// The reference system's "Test" panel for a webhook: paste a payload, send it signed like a delivery, see the
// endpoint's answer (status, headers, body) and the request that was sent. Nothing is stored.
import { useState } from 'react';
import { api, teamPath } from '../../api/client';
import type { Webhook, WebhookTestResult } from '../../api/types';
import { Field, fieldError, FormError } from '../../components/Field';
import { formatDuration, prettyJson } from '../../components/format';
import { HeaderTable } from '../../components/HeaderTable';
import { Modal } from '../../components/Modal';
import { useFormSubmit } from '../../components/useSubmit';

const SAMPLE_TEST_PAYLOAD = '{\n  "event_type": "LINK_ARTIFACT",\n  "message": "Test from Modelyard"\n}';

export function TestWebhookDialog({ team, webhook, onClose }: { team: string; webhook: Webhook; onClose: () => void }) {
  const [payload, setPayload] = useState(SAMPLE_TEST_PAYLOAD);
  const [result, setResult] = useState<WebhookTestResult>();
  const submit = useFormSubmit(async () => {
    setResult(undefined);
    setResult(await api.post<WebhookTestResult>(teamPath(team, 'webhooks', webhook.id, 'test'), { payload }));
  });
  return (
    <Modal title={`Test webhook ${webhook.name}`} onClose={onClose} wide>
      <form onSubmit={submit.onSubmit}>
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
          <h3>Body</h3>
          <pre aria-label="Response body">{result.body ? prettyJson(result.body) : '(empty)'}</pre>
          <h3>Headers</h3>
          <HeaderTable headers={result.headers} label="Response headers" />
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
