// Password login; the server sets the session cookie and hands back the CSRF token.
import { useState } from 'react';
import { api } from '../api/client';
import { Field, FormError } from '../components/Field';
import { useFormSubmit } from '../components/useSubmit';

export function Login({ onLoggedIn }: { onLoggedIn: () => Promise<void> }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const submit = useFormSubmit(async () => {
    await api.post('/api/v1/login', { name, password });
    await onLoggedIn();
  });
  return (
    <main className="login">
      <h1>
        Model<span style={{ color: 'var(--accent)' }}>yard</span>
      </h1>
      <form className="card" onSubmit={submit.onSubmit}>
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
