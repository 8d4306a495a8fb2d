// The dialog every create/edit form uses: fields, the server's refusal for what no field shows, Cancel and submit.
import type { ReactNode } from 'react';
import { FormError } from './Field';
import { Modal } from './Modal';
import { useFormSubmit } from './useSubmit';

export function FormDialog({
  title,
  submitLabel,
  submit,
  shownFields,
  onClose,
  children,
  wide,
  secondary,
}: {
  title: string;
  submitLabel: string;
  /** From useFormSubmit: the dialog shows its busy state and its error. */
  submit: ReturnType<typeof useFormSubmit>;
  /** Fields that show their own server message; any other error is shown above the buttons. */
  shownFields: string[];
  onClose: () => void;
  children: ReactNode;
  wide?: boolean;
  /** A second way to submit (e.g. "Create and test"): `choose` hears which button submitted, just before the form is. */
  secondary?: { label: string; choose: (secondary: boolean) => void };
}) {
  return (
    <Modal title={title} onClose={onClose} wide={wide}>
      <form onSubmit={submit.onSubmit}>
        {children}
        <FormError error={submit.error} shownFields={shownFields} />
        <div className="buttons">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          {secondary && (
            <button type="submit" disabled={submit.busy} onClick={() => secondary.choose(true)}>
              {secondary.label}
            </button>
          )}
          <button type="submit" className="primary" disabled={submit.busy} onClick={() => secondary?.choose(false)}>
            {submitLabel}
          </button>
        </div>
      </form>
    </Modal>
  );
}
