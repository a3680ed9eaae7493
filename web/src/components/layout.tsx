import { useState, type ReactNode } from 'react';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';

const NAV = [
  { to: '/', label: 'Incidents' },
  { to: '/security', label: 'Security' },
  { to: '/health', label: 'Health' },
  { to: '/oncall', label: 'On call' },
];

export function Layout({ current, children }: { current: string; children: ReactNode }) {
  const { session, signOut } = useSession();
  const [busy, setBusy] = useState(false);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand" aria-label="Firebreak, incidents">
          <img src="/favicon.svg" alt="" width="24" height="24" />
          <span>Firebreak</span>
        </Link>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.to}>
                <Link to={n.to} aria-current={current === n.to ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span className="who-name" title={`Signed in as ${session.name} (${session.role})`}>
            {session.name} <span className="role">{session.role}</span>
          </span>
          <button
            type="button"
            className="btn btn-quiet"
            disabled={busy}
            onClick={() => {
              setBusy(true);
              void signOut().finally(() => setBusy(false));
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
