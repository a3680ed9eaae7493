import type { ReactNode } from 'react';
import { errorText } from '../api.ts';

/** A quiet note where a capability is missing on this server: not an error. */
export function Unavailable({ children }: { children: ReactNode }) {
  return <p className="unavailable">{children}</p>;
}

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p className="error-note" role="alert">
      {errorText(error)}
    </p>
  );
}

export function Loading() {
  return (
    <p className="muted" aria-busy="true">
      Loading…
    </p>
  );
}
