// A webhook's custom request headers as name/value rows (docs/automations.md#custom-headers): add, edit, remove, and
// add the headers a payload preset suggests (GitHub: Accept and X-GitHub-Api-Version). The server checks the rules
// and names the row at fault (`headers[i]`); that row is marked and the message shown under the rows.
import { useId } from 'react';
import { api } from '../api/client';
import type { Page, Preset } from '../api/types';
import { useLoad } from './useLoad';

export interface HeaderRow {
  name: string;
  value: string;
}

/** The rows as the API takes them: blank rows left out, names and values trimmed (receivers strip the ends anyway). */
export function headersForApi(rows: HeaderRow[]): HeaderRow[] {
  return rows.map((row) => ({ name: row.name.trim(), value: row.value.trim() })).filter((row) => row.name !== '' || row.value !== '');
}

export function HeadersEditor({
  rows,
  onChange,
  secrets,
  error,
  errorField,
}: {
  rows: HeaderRow[];
  onChange: (rows: HeaderRow[]) => void;
  /** The secrets the webhook will have attached (its signing secret and access token), insertable as ${NAME}. */
  secrets: string[];
  /** The server's message about the headers, and the field it names (`headers[2]`). */
  error?: string | undefined;
  errorField?: string | undefined;
}) {
  const id = useId();
  const presets = useLoad(() => api.get<Page<Preset>>('/api/v1/presets'), 'presets|headers');
  const suggesting = (presets.data?.items ?? []).filter((preset) => preset.suggestedHeaders.length > 0);
  const badRow = /^headers\[(\d+)\]/.exec(errorField ?? '')?.[1];
  const set = (index: number, change: Partial<HeaderRow>) => onChange(rows.map((row, i) => (i === index ? { ...row, ...change } : row)));
  const addSuggested = (preset: Preset) => {
    const taken = new Set(rows.map((row) => row.name.trim().toLowerCase()));
    onChange([...rows.filter((row) => row.name !== '' || row.value !== ''), ...preset.suggestedHeaders.filter((h) => !taken.has(h.name.toLowerCase()))]);
  };
  return (
    <fieldset className="field" aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`} style={{ border: 'none', padding: 0, margin: '0 0 12px' }}>
      <legend style={{ fontWeight: 600, padding: 0, marginBottom: 4 }}>Custom headers</legend>
      {rows.map((row, index) => (
        <div className="row" key={index} style={{ flexWrap: 'nowrap' }}>
          <input
            className="mono"
            aria-label={`Header ${index + 1} name`}
            aria-invalid={badRow === String(index)}
            placeholder="X-API-Key"
            value={row.name}
            maxLength={128}
            onChange={(e) => set(index, { name: e.target.value })}
            style={{ width: '38%' }}
          />
          <input
            className="mono grow"
            aria-label={`Header ${index + 1} value`}
            aria-invalid={badRow === String(index)}
            placeholder={secrets[0] ? `\${${secrets[0]}}` : 'value'}
            value={row.value}
            maxLength={4096}
            onChange={(e) => set(index, { value: e.target.value })}
          />
          <button type="button" className="link" aria-label={`Remove header ${index + 1}`} onClick={() => onChange(rows.filter((_, i) => i !== index))}>
            Remove
          </button>
        </div>
      ))}
      <div className="row">
        <button type="button" className="small" onClick={() => onChange([...rows, { name: '', value: '' }])} disabled={rows.length >= 20}>
          Add header
        </button>
        {suggesting.map((preset) => (
          <button type="button" className="small" key={preset.id} onClick={() => addSuggested(preset)} title={preset.suggestedHeaders.map((h) => `${h.name}: ${h.value}`).join('\n')}>
            Add headers for {preset.name}
          </button>
        ))}
      </div>
      <span className="hint" id={`${id}-hint`}>
        Optional: sent with every delivery. {secrets.length > 0 ? `A value can insert ${secrets.map((s) => `\${${s}}`).join(' or ')}, filled in only when sending. ` : 'Attach a secret or access token above to insert it as ${NAME}. '}
        Content-Type, User-Agent, signatures, webhook-* and Host are set by Modelyard.
      </span>
      {error && (
        <span className="field-error" id={`${id}-error`} role="alert">
          {error}
        </span>
      )}
    </fieldset>
  );
}
