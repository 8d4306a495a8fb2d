// The frame around every team page (brand, team switcher, user, navigation) and the start page, which opens the
// last team used or, for a user in no team yet, offers to create one.
import { useEffect, useState } from 'react';
import { Navigate, NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { api } from '../api/client';
import { lastTeam, rememberTeam, teamUrl, useSession, useTeam } from '../session';
import { Field, fieldError, FormError } from '../components/Field';
import { useFormSubmit } from '../components/useSubmit';
import { NoticeArea } from '../components/Notices';

function TopBar() {
  const { me, logout } = useSession();
  const { team } = useTeam();
  const navigate = useNavigate();
  const location = useLocation();
  const switchTeam = (next: string) => {
    // Stay on the same kind of page (registry, settings, …) in the other team.
    const section = location.pathname.split('/')[3] ?? 'registry';
    const kept = ['registry', 'projects', 'automations', 'history', 'queues', 'settings', 'api-keys', 'admin'].includes(section) ? section : 'registry';
    navigate(`/t/${encodeURIComponent(next)}/${kept}`);
  };
  return (
    <header className="topbar">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <a className="brand" href="/">
        Model<span>yard</span>
      </a>
      {me.teams.length > 0 && (
        <label>
          Team
          <select value={team} onChange={(e) => switchTeam(e.target.value)}>
            {!me.teams.some((t) => t.name === team) && <option value={team}>{team || 'Choose a team'}</option>}
            {me.teams.map((t) => (
              <option key={t.id} value={t.name}>
                {t.name} ({t.role})
              </option>
            ))}
          </select>
        </label>
      )}
      <NavLink to="/?new-team=1" className="small">
        New team
      </NavLink>
      <span className="spacer" />
      <span className="muted" aria-label="Logged in as">
        {me.user.name}
      </span>
      <NavLink to={team ? `/t/${encodeURIComponent(team)}/api-keys` : '/'}>API keys</NavLink>
      <button type="button" onClick={() => void logout()}>
        Log out
      </button>
    </header>
  );
}

export function TeamLayout() {
  const { team, role, isAdmin } = useTeam();
  const { me } = useSession();
  // Every sub-page highlights its section: a run belongs to History (its URL is /t/TEAM/runs/ID).
  const section = useLocation().pathname.split('/')[3];
  useEffect(() => {
    if (role) rememberTeam(team);
  }, [team, role]);
  return (
    <>
      <TopBar />
      <div className="shell">
        <nav className="sidenav" aria-label="Sections">
          {team && (
            <>
              <NavLink to={teamUrl(team, 'registry')}>Registry</NavLink>
              <NavLink to={teamUrl(team, 'projects')}>Artifacts</NavLink>
              <NavLink to={teamUrl(team, 'automations')}>Automations</NavLink>
              <NavLink to={teamUrl(team, 'history')} className={({ isActive }) => (isActive || section === 'runs' ? 'active' : undefined)}>
                History
              </NavLink>
              <NavLink to={teamUrl(team, 'queues')}>Queues</NavLink>
              {isAdmin && <NavLink to={teamUrl(team, 'settings')}>Team settings</NavLink>}
            </>
          )}
          {me.user.isAdmin && <NavLink to="/admin">Users</NavLink>}
        </nav>
        <main className="page" id="main" tabIndex={-1}>
          <NoticeArea />
          {role || !team ? (
            <Outlet />
          ) : (
            <div className="card">
              <h1>No access to “{team}”</h1>
              <p>This team does not exist or you are not one of its members. Ask one of its admins to add you, or pick one of your teams above.</p>
            </div>
          )}
        </main>
      </div>
    </>
  );
}

function CreateTeam({ first }: { first: boolean }) {
  const { me, refresh } = useSession();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const submit = useFormSubmit(async () => {
    await api.post('/api/v1/teams', { name });
    await refresh();
    navigate(`/t/${encodeURIComponent(name)}/registry`);
  });
  return (
    <main className="login">
      <form className="card" onSubmit={submit.onSubmit}>
        <h2>{first ? 'Create your first team' : 'Create a team'}</h2>
        <p className="muted">
          {first
            ? 'Everything in Modelyard — the model registry, secrets, webhooks and automations — belongs to a team. You will be its admin and can add members later.'
            : 'You will be the new team’s admin.'}
        </p>
        <Field label="Team name" error={fieldError(submit.error, 'name')} hint="Letters, digits, “-”, “_” and “.”.">
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required autoFocus />}
        </Field>
        <FormError error={submit.error} shownFields={['name']} />
        {me.user.isAdmin && (
          <p className="small">
            Instance admin: <NavLink to="/admin">manage the users of this instance</NavLink>.
          </p>
        )}
        <div className="row">
          <button type="submit" className="primary grow" disabled={submit.busy}>
            Create team
          </button>
          {!first && (
            <button type="button" onClick={() => navigate(-1)}>
              Cancel
            </button>
          )}
        </div>
      </form>
    </main>
  );
}

export function Home() {
  const { me } = useSession();
  const location = useLocation();
  const wantsNewTeam = new URLSearchParams(location.search).has('new-team');
  if (me.teams.length === 0 || wantsNewTeam) return <CreateTeam first={me.teams.length === 0} />;
  const remembered = lastTeam();
  const team = me.teams.find((t) => t.name === remembered) ?? me.teams[0]!;
  return <Navigate to={`/t/${encodeURIComponent(team.name)}/registry`} replace />;
}
