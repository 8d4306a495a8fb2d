// The alias pattern of an ADD_ARTIFACT_ALIAS automation, checked by the server (its RE2 rules, not the browser's
// regular expressions) shortly after each keystroke, so a pattern the save would refuse is reported at step 1.
import { useEffect, useState } from 'react';
import { api, asApiError, teamPath } from '../api/client';
import { Field } from './Field';

/** Pause after the last keystroke before asking the server. */
const CHECK_DELAY_MS = 300;
/** Names shown as examples of what the pattern matches. */
const EXAMPLE_ALIASES = ['production', 'staging', 'candidate', 'best', 'latest'];

export type PatternVerdict = { state: 'empty' | 'checking' | 'valid' } | { state: 'invalid'; message: string };

export function AliasPatternField({
  team,
  value,
  onChange,
  serverError,
  onVerdict,
}: {
  team: string;
  value: string;
  onChange: (value: string) => void;
  serverError: string | undefined;
  onVerdict: (verdict: PatternVerdict) => void;
}) {
  const [verdict, setVerdict] = useState<PatternVerdict>({ state: 'empty' });
  const [matches, setMatches] = useState<string[]>([]);
  useEffect(() => {
    if (value === '') {
      setVerdict({ state: 'empty' });
      return;
    }
    setVerdict({ state: 'checking' });
    let current = true;
    const timer = setTimeout(() => {
      api.post<{ matches: string[] }>(teamPath(team, 'automations', 'alias-pattern'), { aliasPattern: value, aliases: EXAMPLE_ALIASES }).then(
        (answer) => {
          if (!current) return;
          setMatches(answer.matches);
          setVerdict({ state: 'valid' });
        },
        (error: unknown) => current && setVerdict({ state: 'invalid', message: asApiError(error).sentence }),
      );
    }, CHECK_DELAY_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [team, value]);
  useEffect(() => onVerdict(verdict), [verdict, onVerdict]);

  const hint =
    verdict.state === 'valid' ? (
      <span className="validation ok">
        Valid pattern.{' '}
        {matches.length > 0 ? `Matches e.g. ${matches.join(', ')}.` : `Matches none of ${EXAMPLE_ALIASES.join(', ')}.`}
      </span>
    ) : verdict.state === 'checking' ? (
      'Checking…'
    ) : (
      'Optional regular expression (RE2 syntax) the alias must match, e.g. ^production$. Empty: any alias.'
    );
  return (
    <Field label="Alias pattern" error={verdict.state === 'invalid' ? verdict.message : serverError} hint={<span aria-live="polite">{hint}</span>}>
      {(p) => <input {...p} className="mono" value={value} onChange={(e) => onChange(e.target.value)} placeholder="^production$" />}
    </Field>
  );
}
