import { useEffect, useRef } from 'react';
import { SessionProvider, useSessionState } from './session.tsx';
import { useLocation } from './router.tsx';
import { Layout } from './components/layout.tsx';
import { SignInPage } from './pages/sign-in-page.tsx';
import { IncidentsPage } from './pages/incidents-page.tsx';
import { IncidentPage } from './pages/incident-page.tsx';
import { SecurityPage } from './pages/security-page.tsx';
import { HealthPage } from './pages/health-page.tsx';
import { OnCallPage } from './pages/oncall-page.tsx';

function route(pathname: string) {
  if (pathname === '/' || pathname === '/incidents') return { page: <IncidentsPage />, title: 'Incidents', nav: '/' };
  const m = /^\/incidents\/([^/]+)$/.exec(pathname);
  if (m) return { page: <IncidentPage id={decodeURIComponent(m[1]!)} />, title: `Incident ${decodeURIComponent(m[1]!)}`, nav: '/' };
  if (pathname === '/security') return { page: <SecurityPage />, title: 'Security', nav: '/security' };
  if (pathname === '/health') return { page: <HealthPage />, title: 'Health', nav: '/health' };
  if (pathname === '/oncall') return { page: <OnCallPage />, title: 'On call', nav: '/oncall' };
  return {
    page: (
      <section>
        <h1 tabIndex={-1}>Page not found</h1>
        <p>
          There is no page at <code>{pathname}</code>. <a href="/">Go to the incidents</a>.
        </p>
      </section>
    ),
    title: 'Not found',
    nav: '',
  };
}

export function App() {
  const { state, signIn, signOut } = useSessionState();
  const { pathname } = useLocation();
  const r = route(pathname);
  const shown = useRef<{ pathname: string; phase: string } | null>(null);

  useEffect(() => {
    document.title = state.phase === 'signed-in' ? `${r.title} · Firebreak` : 'Sign in · Firebreak';
  }, [r.title, state.phase]);

  // Move focus to the new page's heading so screen readers announce it: after
  // a navigation or a sign-in, not when the page first loads.
  useEffect(() => {
    const prev = shown.current;
    shown.current = { pathname, phase: state.phase };
    if (!prev || state.phase === 'checking') return;
    if (prev.phase === 'checking' && prev.pathname === pathname) return;
    if (prev.pathname === pathname && prev.phase === state.phase) return;
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [pathname, state.phase]);

  if (state.phase === 'checking') {
    return (
      <main id="main" className="center-page" aria-busy="true">
        <p>Loading…</p>
      </main>
    );
  }
  if (state.phase === 'signed-out') return <SignInPage onSignIn={signIn} notice={state.reason} />;
  return (
    <SessionProvider session={state.session} signOut={signOut}>
      <Layout current={r.nav}>{r.page}</Layout>
    </SessionProvider>
  );
}
