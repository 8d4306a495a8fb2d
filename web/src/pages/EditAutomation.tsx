// Editing an automation: the creation wizard, filled in with the automation as it is.
import { useParams } from 'react-router';
import { api, teamPath } from '../api/client';
import type { Automation } from '../api/types';
import { useTeam } from '../session';
import { LoadError, Loading } from '../components/Status';
import { useLoad } from '../components/useLoad';
import { AutomationWizard } from './AutomationWizard';

export function EditAutomation() {
  const { team, canEdit } = useTeam();
  const { automationId = '' } = useParams();
  const path = teamPath(team, 'automations', automationId);
  const automation = useLoad(() => api.get<Automation>(path), path);
  if (!canEdit) return <p className="card">Viewers cannot change automations; ask a member or an admin of {team}.</p>;
  if (automation.error) return <LoadError error={automation.error} />;
  if (!automation.data) return <Loading what="the automation" />;
  return <AutomationWizard key={automation.data.id} existing={automation.data} />;
}
