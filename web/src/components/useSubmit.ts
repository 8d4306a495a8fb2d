// Submitting a change: a busy flag (buttons disable themselves), the server's last refusal, and for forms the
// submit handler that keeps the browser from posting the form itself.
import { useState, type FormEvent } from 'react';
import { asApiError, type ApiError } from '../api/client';

export interface Submit<A extends unknown[]> {
  busy: boolean;
  error: ApiError | undefined;
  setError: (error: ApiError | undefined) => void;
  run: (...args: A) => Promise<void>;
}

export function useSubmit<A extends unknown[]>(action: (...args: A) => Promise<void>): Submit<A> {
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

/** useSubmit for a <form>: `onSubmit` runs the action instead of the browser's own submission. */
export function useFormSubmit(action: () => Promise<void>): Submit<[]> & { onSubmit: (event: FormEvent) => void } {
  const submit = useSubmit(action);
  return {
    ...submit,
    onSubmit: (event: FormEvent) => {
      event.preventDefault();
      void submit.run();
    },
  };
}
