// Linking an artifact version to a registered model, from either side: the model page (pick the artifact
// version) or an artifact version's page (pick the model). Afterwards a notice says how many automations fired.
import { useState } from 'react';
import { api, teamPath, withQuery } from '../../api/client';
import type { Model, ModelVersion, Page } from '../../api/types';
import { ArtifactVersionPicker } from '../../components/ArtifactVersionPicker';
import { Field, fieldError } from '../../components/Field';
import { FormDialog } from '../../components/FormDialog';
import { useNotify } from '../../components/Notices';
import { countTriggeredRuns, TriggeredNotice } from '../../components/triggered';
import { useLoad } from '../../components/useLoad';
import { useFormSubmit } from '../../components/useSubmit';

function aliasList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((a) => a.trim())
    .filter(Boolean);
}

/** Links `source` to `model` and tells the user what happened (and how many automations it triggered). */
function useLink(team: string, onDone: (version: ModelVersion) => void) {
  const notify = useNotify();
  return async (model: string, source: string, aliases: string[]) => {
    const answer = await api.postWithStatus<ModelVersion>(teamPath(team, 'registry', 'models', model, 'versions'), { source, aliases });
    const version = answer.data;
    // A source already linked answers 200 with its existing version: no new link, only the aliases it got.
    const linked = answer.status === 201;
    const count = await countTriggeredRuns(team, model, { version: version.version, linked, aliases }).catch(() => 0);
    notify(
      <TriggeredNotice team={team} what={linked ? `Linked ${source} to ${model} as ${version.version}.` : `${source} was already ${model}:${version.version}.`} count={count} />,
    );
    onDone(version);
  };
}

/** On the model page: which artifact version to link. */
export function LinkVersionDialog({ team, model, onClose, onDone }: { team: string; model: string; onClose: () => void; onDone: () => void }) {
  const [source, setSource] = useState('');
  const [aliases, setAliases] = useState('');
  const link = useLink(team, onDone);
  const submit = useFormSubmit(async () => {
    await link(model, source, aliasList(aliases));
    onClose();
  });
  return (
    <FormDialog title="Link version" submitLabel="Link" submit={submit} shownFields={['source', 'aliases']} onClose={onClose} wide>
      <ArtifactVersionPicker team={team} value={source} onChange={setSource} />
      <Field label="Source artifact version" error={fieldError(submit.error, 'source')} hint="Chosen above, or typed: project/artifact:v2 or project/artifact:alias">
        {(p) => <input {...p} className="mono" value={source} onChange={(e) => setSource(e.target.value)} required placeholder="training/classifier:v3" />}
      </Field>
      <Field label="Aliases" error={fieldError(submit.error, 'aliases')} hint="Optional, separated by commas or spaces, e.g. staging">
        {(p) => <input {...p} value={aliases} onChange={(e) => setAliases(e.target.value)} />}
      </Field>
    </FormDialog>
  );
}

/** On an artifact version: which registered model to link it to. */
export function LinkToModelDialog({ team, source, onClose }: { team: string; source: string; onClose: () => void }) {
  const models = useLoad(() => api.get<Page<Model>>(withQuery(teamPath(team, 'registry', 'models'), { limit: 500 })), `${team}|models`);
  const [model, setModel] = useState('');
  const [aliases, setAliases] = useState('');
  const link = useLink(team, () => undefined);
  const submit = useFormSubmit(async () => {
    await link(model, source, aliasList(aliases));
    onClose();
  });
  return (
    <FormDialog title={`Link ${source} to a registered model`} submitLabel="Link" submit={submit} shownFields={['source', 'aliases', 'model']} onClose={onClose}>
      <Field
        label="Registered model"
        error={fieldError(submit.error, 'model') ?? models.error?.sentence}
        hint={models.data?.items.length === 0 ? 'No registered models yet: create one in the Registry first.' : 'The version becomes the model’s next version and its “latest”.'}
      >
        {(p) => (
          <select {...p} value={model} onChange={(e) => setModel(e.target.value)} required>
            <option value="">Select a registered model</option>
            {models.data?.items.map((m) => (
              <option key={m.id} value={m.name}>
                {m.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Aliases" error={fieldError(submit.error, 'aliases', 'source')} hint="Optional, separated by commas or spaces, e.g. staging">
        {(p) => <input {...p} value={aliases} onChange={(e) => setAliases(e.target.value)} />}
      </Field>
    </FormDialog>
  );
}
