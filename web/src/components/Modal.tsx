// A modal dialog on the native <dialog>: focus stays inside, Escape closes.
import { useEffect, useId, useRef, type ReactNode } from 'react';

const FIRST_CONTROL = ['input:not([readonly]):not([type=hidden])', 'select', 'textarea', 'button'].map((c) => `.dialog-body ${c}`).join(', ');

/** Rendered only while open. */
export function Modal({ title, onClose, children, wide }: { title: string; onClose: () => void; children: ReactNode; wide?: boolean | undefined }) {
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
