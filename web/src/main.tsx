// The single-page UI: the session gate, the team shell and one route per page. The server answers every
// non-API path with index.html, so these URLs can be bookmarked and reloaded.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import './styles.css';
import { SessionProvider } from './session';
import { NoticeProvider } from './components/Notices';
import { Login } from './pages/Login';
import { Home, TeamLayout } from './pages/Layout';
import { ModelList } from './pages/ModelList';
import { ModelPage } from './pages/ModelPage';
import { ProjectList, ProjectPage, ArtifactPage } from './pages/Artifacts';
import { TeamSettings } from './pages/TeamSettings';
import { AutomationWizard } from './pages/AutomationWizard';
import { AutomationList, AutomationPage } from './pages/Automations';
import { EditAutomation } from './pages/EditAutomation';
import { History, RunPage } from './pages/History';
import { Queues } from './pages/Queues';
import { ApiKeys } from './pages/ApiKeys';
import { Admin } from './pages/Admin';
import { WebhookPage } from './pages/team-settings/WebhookPage';

function App() {
  return (
    <BrowserRouter>
      <SessionProvider login={(onLoggedIn) => <Login onLoggedIn={onLoggedIn} />}>
        <NoticeProvider>
          <Routes>
            <Route path="/" element={<Home />} />
            <Route path="/admin" element={<TeamLayout />}>
              <Route index element={<Admin />} />
            </Route>
            <Route path="/t/:team" element={<TeamLayout />}>
              <Route index element={<Navigate to="registry" replace />} />
              <Route path="registry" element={<ModelList />} />
              <Route path="registry/:model" element={<ModelPage />} />
              <Route path="projects" element={<ProjectList />} />
              <Route path="projects/:project" element={<ProjectPage />} />
              <Route path="projects/:project/artifacts/:artifact" element={<ArtifactPage />} />
              <Route path="automations" element={<AutomationList />} />
              <Route path="automations/new" element={<AutomationWizard />} />
              <Route path="automations/:automationId" element={<AutomationPage />} />
              <Route path="automations/:automationId/edit" element={<EditAutomation />} />
              <Route path="history" element={<History />} />
              <Route path="runs/:runId" element={<RunPage />} />
              <Route path="queues" element={<Queues />} />
              <Route path="settings" element={<TeamSettings />} />
              <Route path="settings/webhooks/:webhookId" element={<WebhookPage />} />
              <Route path="api-keys" element={<ApiKeys />} />
            </Route>
            <Route path="*" element={<Navigate to="/" replace />} />
          </Routes>
        </NoticeProvider>
      </SessionProvider>
    </BrowserRouter>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
