import { useId, useState, type FormEvent } from 'react';
import { ApiError, errorText } from '../api.ts';

export function SignInPage({ onSignIn, notice }: { onSignIn: (token: string) => Promise<void>; notice?: string }) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const hintId = useId();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSignIn(token.trim());
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError('That token is not valid, or it was revoked.');
      else if (err instanceof ApiError && err.status === 429)
        setError(`Too many failed attempts. Try again in ${err.retryAfter ?? 60} seconds.`);
      else setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <main id="main" className="center-page">
      <form className="card sign-in" onSubmit={submit} aria-labelledby="sign-in-title">
        <div className="brand-big">
          <img src="/favicon.svg" alt="" width="40" height="40" />
          <h1 id="sign-in-title">Sign in to Firebreak</h1>
        </div>
        {notice && !error && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <label htmlFor="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          required
          autoFocus
          value={token}
          onChange={(e) => setToken(e.target.value)}
          aria-describedby={hintId}
          aria-invalid={error ? true : undefined}
        />
        <p id={hintId} className="hint">
          On first start the server prints an admin token and saves it to <code>data/admin-token</code>. Admins make tokens for others with{' '}
          <code>firebreak token create</code>. The token stays on the server: this browser keeps only a session cookie.
        </p>
        {error && (
          <p className="error-note" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="btn btn-primary" disabled={busy || token.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
