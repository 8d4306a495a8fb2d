// What a row of an automation list offers (History, Enable/Disable, Delete), on the Automations page and in a
// model's Automations section alike, and the confirmation before a delete.
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, teamPath } from '../api/client';
import { teamUrl } from '../session';
import { EnabledBadge } from './Badges';
import { ConfirmDialog } from './ConfirmDialog';
import { RowMenu } from './RowMenu';
import { useNotify } from './Notices';

export function DeleteAutomationDialog({ team, automation, onClose, onDone }: { team: string; automation: { id: string; name: string }; onClose: () => void; onDone: () => void }) {
  return (
    <ConfirmDialog
      title={`Delete automation “${automation.name}”?`}
      onClose={onClose}
      onConfirm={async () => {
        await api.delete(teamPath(team, 'automations', automation.id));
        onDone();
      }}
    >
      <p>No new runs will be created for it. Deliveries and jobs already in flight still finish, and its history stays readable.</p>
    </ConfirmDialog>
  );
}

/** Disabling stops new runs: asked first, since events in the meantime are not replayed when it is enabled again. */
export function DisableAutomationDialog({ team, automation, onClose, onDone }: { team: string; automation: { id: string; name: string }; onClose: () => void; onDone: () => void }) {
  const notify = useNotify();
  return (
    <ConfirmDialog
      title={`Disable automation “${automation.name}”?`}
      confirmLabel="Disable"
      onClose={onClose}
      onConfirm={async () => {
        await api.patch(teamPath(team, 'automations', automation.id), { enabled: false });
        notify(`Disabled automation “${automation.name}”.`);
        onDone();
      }}
    >
      <p>Events that happen while it is disabled create no runs, and are not replayed when it is enabled again. Runs already created still finish.</p>
    </ConfirmDialog>
  );
}

/** `onChanged` reloads the list after an automation was enabled, disabled or deleted. */
export function AutomationRowMenu({ team, automation, onChanged }: { team: string; automation: { id: string; name: string; enabled: boolean }; onChanged: () => void }) {
  const navigate = useNavigate();
  const notify = useNotify();
  const [deleting, setDeleting] = useState(false);
  const [disabling, setDisabling] = useState(false);
  const enable = async () => {
    await api.patch(teamPath(team, 'automations', automation.id), { enabled: true });
    notify(`Enabled automation “${automation.name}”.`);
    onChanged();
  };
  return (
    <>
      <RowMenu
        label={`Actions for ${automation.name}`}
        items={[
          { label: 'Edit', onSelect: () => navigate(teamUrl(team, 'automations', automation.id, 'edit')) },
          { label: 'History', onSelect: () => navigate(teamUrl(team, 'automations', automation.id)) },
          automation.enabled ? { label: 'Disable', onSelect: () => setDisabling(true) } : { label: 'Enable', onSelect: () => void enable() },
          { label: 'Delete', danger: true, onSelect: () => setDeleting(true) },
        ]}
      />
      {deleting && <DeleteAutomationDialog team={team} automation={automation} onClose={() => setDeleting(false)} onDone={onChanged} />}
      {disabling && <DisableAutomationDialog team={team} automation={automation} onClose={() => setDisabling(false)} onDone={onChanged} />}
    </>
  );
}

/** The last cells of an automation's row in every automation list: its status and, for editors, its menu. */
export function AutomationStatusCells({
  team,
  automation,
  canEdit,
  onChanged,
}: {
  team: string;
  automation: { id: string; name: string; enabled: boolean };
  canEdit: boolean;
  onChanged: () => void;
}) {
  return (
    <>
      <td>
        <EnabledBadge enabled={automation.enabled} />
      </td>
      {canEdit && (
        <td className="actions">
          <AutomationRowMenu team={team} automation={automation} onChanged={onChanged} />
        </td>
      )}
    </>
  );
}
