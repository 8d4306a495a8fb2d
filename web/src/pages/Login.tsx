// Password login; the server sets the session cookie and hands back the CSRF token.
import { useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { Field, FormError, useSubmit } from '../ui';

export function Login({ onLoggedIn }: { onLoggedIn: () => Promise<void> }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const submit = useSubmit(async () => {
    await api.post('/api/v1/login', { name, password });
    await onLoggedIn();
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void submit.run();
  };
  return (
    <main className="login">
      <h1>
        Model<span style={{ color: 'var(--accent)' }}>yard</span>
      </h1>
      <form className="card" onSubmit={onSubmit}>
        <Field label="User name">{(p) => <input {...p} autoComplete="username" value={name} onChange={(e) => setName(e.target.value)} required autoFocus />}</Field>
        <Field label="Password">
          {(p) => <input {...p} type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />}
        </Field>
        <FormError error={submit.error} />
        <button type="submit" className="primary" disabled={submit.busy}>
          Log in
        </button>
      </form>
    </main>
  );
}
