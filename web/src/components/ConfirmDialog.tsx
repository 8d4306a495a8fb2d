// "Are you sure?" for destructive actions; shows the server's refusal (e.g. a secret still in use) in place.
import type { ReactNode } from 'react';
import { FormError } from './Field';
import { Modal } from './Modal';
import { useSubmit } from './useSubmit';

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
