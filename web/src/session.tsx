/**
 * Who is signed in, their CSRF token, what their role may do and which
 * optional API endpoints the server has. The session itself is an httpOnly
 * cookie the page never sees; the readable `fb_signed_in` hint tells us
 * whether asking GET /api/v1/session is worth a request (a 401 would be
 * logged by the browser as an error on every visit to the sign-in page).
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, setCsrfToken, setUnauthorizedHandler } from './api.ts';
import type { Permission, SessionView } from './types.ts';

export interface SessionContextValue {
  session: SessionView;
  can(p: Permission): boolean;
  has(feature: string): boolean;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function useSession(): SessionContextValue {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

const hasHint = () => document.cookie.split(';').some((c) => c.trim() === 'fb_signed_in=1');

export type SessionState = { phase: 'checking' } | { phase: 'signed-out'; reason?: string } | { phase: 'signed-in'; session: SessionView };

export function useSessionState() {
  const [state, setState] = useState<SessionState>(() => (hasHint() ? { phase: 'checking' } : { phase: 'signed-out' }));

  const accept = useCallback((session: SessionView) => {
    setCsrfToken(session.csrf_token);
    setState({ phase: 'signed-in', session });
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      setCsrfToken('');
      setState({ phase: 'signed-out', reason: 'Your session ended. Sign in again.' });
    });
    if (hasHint()) {
      api.get<SessionView>('/api/v1/session', { quiet401: true }).then(accept, () => setState({ phase: 'signed-out' }));
    }
    return () => setUnauthorizedHandler(null);
  }, [accept]);

  const signIn = useCallback(
    async (token: string) => {
      accept(await api.post<SessionView>('/api/v1/session', { token }, { quiet401: true }));
    },
    [accept],
  );

  const signOut = useCallback(async () => {
    try {
      await api.del('/api/v1/session');
    } finally {
      setCsrfToken('');
      setState({ phase: 'signed-out', reason: 'You signed out.' });
    }
  }, []);

  return { state, signIn, signOut };
}

export function SessionProvider({
  session,
  signOut,
  children,
}: {
  session: SessionView;
  signOut: () => Promise<void>;
  children: ReactNode;
}) {
  const value = useMemo<SessionContextValue>(
    () => ({
      session,
      can: (p) => session.permissions.includes(p),
      has: (f) => session.features[f] === true,
      signOut,
    }),
    [session, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}
