// The create dialog shared by projects, registered models and queues: a name, a description, the server's errors
// beside their fields. `create` does the request; the dialog closes itself once it succeeded.
import { useState, type ReactNode } from 'react';
import { Field, fieldError } from './Field';
import { FormDialog } from './FormDialog';
import { useFormSubmit } from './useSubmit';

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
  const submit = useFormSubmit(async () => {
    await create({ name, description });
    onClose();
  });
  return (
    <FormDialog title={title} submitLabel={submitLabel} submit={submit} shownFields={['name', 'description']} onClose={onClose}>
      <Field label="Name" error={fieldError(submit.error, 'name')} hint={nameHint}>
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required autoFocus />}
      </Field>
      <Field label="Description" error={fieldError(submit.error, 'description')}>
        {(p) => <textarea {...p} rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
    </FormDialog>
  );
}
