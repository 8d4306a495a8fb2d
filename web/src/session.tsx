// Who is logged in, their teams and roles, and the team the page is about. The session itself is the server's
// HttpOnly cookie; the UI only keeps the CSRF token that must accompany every change.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { useParams } from 'react-router';
import { api, ApiError, setCsrfToken, UNAUTHENTICATED_EVENT } from './api/client';
import type { Me, Role } from './api/types';

interface Session {
  me: Me;
  refresh: () => Promise<void>;
  logout: () => Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

type State = { status: 'loading' } | { status: 'anonymous' } | { status: 'in'; me: Me };

export function SessionProvider({ children, login }: { children: ReactNode; login: (onLoggedIn: () => Promise<void>) => ReactNode }) {
  const [state, setState] = useState<State>({ status: 'loading' });

  const refresh = useCallback(async () => {
    try {
      const me = await api.get<Me>('/api/v1/me');
      setCsrfToken(me.csrfToken);
      setState({ status: 'in', me });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        setCsrfToken(null);
        setState({ status: 'anonymous' });
      } else {
        throw error;
      }
    }
  }, []);

  const logout = useCallback(async () => {
    await api.post('/api/v1/logout');
    setCsrfToken(null);
    setState({ status: 'anonymous' });
  }, []);

  useEffect(() => {
    void refresh();
    const onUnauthenticated = () => setState({ status: 'anonymous' });
    window.addEventListener(UNAUTHENTICATED_EVENT, onUnauthenticated);
    return () => window.removeEventListener(UNAUTHENTICATED_EVENT, onUnauthenticated);
  }, [refresh]);

  if (state.status === 'loading') return <p className="muted" style={{ padding: 20 }}>Loading…</p>;
  if (state.status === 'anonymous') return <>{login(refresh)}</>;
  return <SessionContext.Provider value={{ me: state.me, refresh, logout }}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

/** The team named in the URL and the caller's role in it. */
export function useTeam(): { team: string; role: Role | undefined; isAdmin: boolean; canEdit: boolean } {
  const { team = '' } = useParams();
  const { me } = useSession();
  const role = me.teams.find((t) => t.name === team)?.role;
  return { team, role, isAdmin: role === 'admin', canEdit: role === 'admin' || role === 'member' };
}

const LAST_TEAM_KEY = 'modelyard.lastTeam';

export function rememberTeam(team: string): void {
  try {
    localStorage.setItem(LAST_TEAM_KEY, team);
  } catch {
    // Private browsing without storage: the first team is a fine default.
  }
}

export function lastTeam(): string | null {
  try {
    return localStorage.getItem(LAST_TEAM_KEY);
  } catch {
    return null;
  }
}

/** An absolute UI path inside a team, e.g. teamUrl('ml', 'registry', 'classifier'). */
export function teamUrl(team: string, ...parts: string[]): string {
  return ['/t', team, ...parts].map((p, i) => (i === 0 ? p : encodeURIComponent(p))).join('/');
}
