// The building blocks every page shares: data loading, fields with server errors beside them, modal dialogs,
// row menus, confirmations, empty states and paging. Each keeps keyboard use and labels in one place.
import { useCallback, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { ApiError, asApiError } from './api/client';

// ---------------------------------------------------------------------------------------------------------------
// Data

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` whenever `key` changes (and on reload); the latest answer wins. */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    loadRef.current().then(
      (data) => current && setState({ data, loading: false }),
      (error: unknown) => current && setState({ error: asApiError(error), loading: false }),
    );
    return () => {
      current = false;
    };
  }, [key, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Cursor paging: remembers the cursors of the pages before, so "Previous" works without the server's help. */
export function useCursorPager(resetKey: string) {
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  useEffect(() => setCursors([undefined]), [resetKey]);
  const cursor = cursors[cursors.length - 1];
  return {
    cursor,
    page: cursors.length,
    next: (nextCursor: string) => setCursors((c) => [...c, nextCursor]),
    previous: () => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)),
  };
}

export function Pager({ page, nextCursor, onNext, onPrevious }: { page: number; nextCursor: string | null | undefined; onNext: (cursor: string) => void; onPrevious: () => void }) {
  if (page === 1 && !nextCursor) return null;
  return (
    <nav className="pager" aria-label="Pages">
      <span className="muted">Page {page}</span>
      <button type="button" onClick={onPrevious} disabled={page === 1}>
        Previous
      </button>
      <button type="button" onClick={() => nextCursor && onNext(nextCursor)} disabled={!nextCursor}>
        Next
      </button>
    </nav>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Forms

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
    </div>
  );
}

/** The server's message for `field` (matching `field` itself or anything below it, e.g. `event.model`). */
export function fieldError(error: ApiError | undefined, ...fields: string[]): string | undefined {
  const blamed = error?.field;
  if (!blamed) return undefined;
  return fields.some((f) => blamed === f || blamed.startsWith(`${f}.`) || blamed.startsWith(`${f}[`)) ? error.message : undefined;
}

/** A form-level message for errors no field shows. */
export function FormError({ error, shownFields = [] }: { error: ApiError | undefined; shownFields?: string[] }) {
  if (!error || fieldError(error, ...shownFields)) return null;
  return (
    <div className="form-error" role="alert">
      {error.message}
    </div>
  );
}

/** Submit handling: busy flag, the last error, and success callback. */
export function useSubmit<A extends unknown[]>(action: (...args: A) => Promise<void>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const run = async (...args: A) => {
    setBusy(true);
    setError(undefined);
    try {
      await action(...args);
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}

// ---------------------------------------------------------------------------------------------------------------
// Dialogs and menus

const FIRST_CONTROL = ['input:not([readonly]):not([type=hidden])', 'select', 'textarea', 'button'].map((c) => `.dialog-body ${c}`).join(', ');

/** A modal dialog (native <dialog>: focus stays inside, Escape closes). Rendered only while open. */
export function Modal({ title, onClose, children, wide }: { title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog || dialog.open) return;
    dialog.showModal();
    // showModal focuses the first focusable element (the close button); start at the first thing to fill in
    // instead, or for confirmations at the first button (Cancel), never at the destructive one.
    dialog.querySelector<HTMLElement>(FIRST_CONTROL)?.focus();
  }, []);
  return (
    <dialog
      ref={ref}
      className={wide ? 'wide' : undefined}
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <div className="dialog-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="link" aria-label="Close" onClick={onClose}>
          ✕
        </button>
      </div>
      <div className="dialog-body">{children}</div>
    </dialog>
  );
}

/** "Are you sure?" for destructive actions; shows the server's refusal (e.g. a secret still in use) in place. */
export function ConfirmDialog({
  title,
  children,
  confirmLabel = 'Delete',
  onConfirm,
  onClose,
}: {
  title: string;
  children: ReactNode;
  confirmLabel?: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const submit = useSubmit(async () => {
    await onConfirm();
    onClose();
  });
  return (
    <Modal title={title} onClose={onClose}>
      {children}
      <FormError error={submit.error} />
      <div className="buttons">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="danger" disabled={submit.busy} onClick={() => void submit.run()}>
          {confirmLabel}
        </button>
      </div>
    </Modal>
  );
}

export interface MenuItem {
  label: string;
  onSelect: () => void;
  danger?: boolean;
}

/** The "⋮" menu of a table row; arrow keys move between items, Escape closes and returns focus. */
export function RowMenu({ label, items }: { label: string; items: MenuItem[] }) {
  const [open, setOpen] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const listRef = useRef<HTMLDivElement>(null);
  const menuId = useId();

  useEffect(() => {
    if (!open) return;
    listRef.current?.querySelector<HTMLButtonElement>('button')?.focus();
    const closeOnOutside = (event: MouseEvent) => {
      if (!listRef.current?.contains(event.target as Node) && event.target !== buttonRef.current) setOpen(false);
    };
    document.addEventListener('mousedown', closeOnOutside);
    return () => document.removeEventListener('mousedown', closeOnOutside);
  }, [open]);

  const onKeyDown = (event: React.KeyboardEvent) => {
    const buttons = [...(listRef.current?.querySelectorAll<HTMLButtonElement>('button') ?? [])];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (event.key === 'Escape') {
      setOpen(false);
      buttonRef.current?.focus();
    } else if (event.key === 'ArrowDown') {
      event.preventDefault();
      buttons[(at + 1) % buttons.length]?.focus();
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      buttons[(at - 1 + buttons.length) % buttons.length]?.focus();
    }
  };

  return (
    <div className="menu">
      <button
        type="button"
        ref={buttonRef}
        className="small"
        aria-label={label}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        onClick={() => setOpen((o) => !o)}
      >
        ⋮
      </button>
      {open && (
        <div className="menu-list" role="menu" id={menuId} ref={listRef} onKeyDown={onKeyDown}>
          {items.map((item) => (
            <button
              type="button"
              role="menuitem"
              key={item.label}
              className={item.danger ? 'danger-item' : undefined}
              onClick={() => {
                setOpen(false);
                item.onSelect();
              }}
            >
              {item.label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Display

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
      {error.message}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <p className="muted" aria-live="polite">Loading {what}…</p>;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function Time({ value }: { value: string | null | undefined }) {
  if (!value) return <span className="muted">—</span>;
  const date = new Date(value);
  return (
    <time dateTime={value} title={value}>
      {timeFormat.format(date)}
    </time>
  );
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function JsonView({ value, label }: { value: unknown; label?: string }) {
  const text = typeof value === 'string' ? prettyJson(value) : JSON.stringify(value, null, 2);
  return <pre aria-label={label}>{text}</pre>;
}

/** Pretty-prints JSON text; text that is not JSON is shown as it is. */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

const STATE_LABELS: Record<string, { label: string; tone: string }> = {
  pending: { label: 'Pending', tone: 'pending' },
  succeeded: { label: 'Succeeded', tone: 'ok' },
  failed: { label: 'Failed', tone: 'fail' },
  queued: { label: 'Queued', tone: 'pending' },
  claimed: { label: 'Claimed', tone: 'pending' },
  running: { label: 'Running', tone: 'pending' },
  cancelled: { label: 'Cancelled', tone: '' },
};

export function StateBadge({ state }: { state: string }) {
  const known = STATE_LABELS[state];
  return <span className={`badge ${known?.tone ?? ''}`}>{known?.label ?? state}</span>;
}

/**
 * The create dialog shared by projects, registered models and queues: a name, a description, the server's errors
 * beside their fields. `create` does the request; the dialog closes itself once it succeeded.
 */
export function CreateNamedDialog({
  title,
  submitLabel,
  nameHint,
  create,
  onClose,
}: {
  title: string;
  submitLabel: string;
  nameHint?: ReactNode;
  create: (input: { name: string; description: string }) => Promise<void>;
  onClose: () => void;
}) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const submit = useSubmit(async () => {
    await create({ name, description });
    onClose();
  });
  return (
    <Modal title={title} onClose={onClose}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void submit.run();
        }}
      >
        <Field label="Name" error={fieldError(submit.error, 'name')} hint={nameHint}>
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required autoFocus />}
        </Field>
        <Field label="Description" error={fieldError(submit.error, 'description')}>
          {(p) => <textarea {...p} rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
        <FormError error={submit.error} shownFields={['name', 'description']} />
        <div className="buttons">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={submit.busy}>
            {submitLabel}
          </button>
        </div>
      </form>
    </Modal>
  );
}
