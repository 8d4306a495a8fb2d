// Form fields with the server's message beside the field it names, and a form-level message for the rest.
import { useId, type ReactNode } from 'react';
import type { ApiError } from '../api/client';

export interface ControlProps {
  id: string;
  'aria-invalid': boolean;
  'aria-describedby': string | undefined;
}

/** A labelled control with a hint and the server's message for this field beside it. */
export function Field({ label, error, hint, children }: { label: string; error?: string | undefined; hint?: ReactNode; children: (props: ControlProps) => ReactNode }) {
  const id = useId();
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': Boolean(error), 'aria-describedby': describedBy })}
      <FieldNotes id={id} hint={hint} error={error} />
    </div>
  );
}

/** A field's hint and the server's message, under the ids its control's aria-describedby names (`${id}-hint`, `${id}-error`). */
export function FieldNotes({ id, hint, error }: { id: string; hint?: ReactNode; error?: string | undefined }) {
  return (
    <>
      {hint && (
        <span className="hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
      {error && (
        <span className="field-error" id={`${id}-error`} role="alert">
          {error}
        </span>
      )}
    </>
  );
}

/** The server's message for `field` (matching `field` itself or anything below it, e.g. `event.model`). */
export function fieldError(error: ApiError | undefined, ...fields: string[]): string | undefined {
  const blamed = error?.field;
  if (!blamed) return undefined;
  return fields.some((f) => blamed === f || blamed.startsWith(`${f}.`) || blamed.startsWith(`${f}[`)) ? error.sentence : undefined;
}

/** A form-level message for errors no field shows. */
export function FormError({ error, shownFields = [] }: { error: ApiError | undefined; shownFields?: string[] }) {
  if (!error || fieldError(error, ...shownFields)) return null;
  return (
    <div className="form-error" role="alert">
      {error.sentence}
    </div>
  );
}
