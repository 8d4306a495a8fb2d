// What a page shows instead of data: nothing yet, still loading, or the server's refusal.
import type { ReactNode } from 'react';
import type { ApiError } from '../api/client';

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <strong>{title}</strong>
      {children}
    </div>
  );
}

export function LoadError({ error }: { error: ApiError | undefined }) {
  if (!error) return null;
  return (
    <div className="form-error" role="alert">
      {error.status === 404 ? 'Not found: ' : ''}
      {error.sentence}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <p className="muted" aria-live="polite">Loading {what}…</p>;
}
