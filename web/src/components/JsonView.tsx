// A JSON value (or JSON text) pretty-printed.
import { prettyJson } from './format';

export function JsonView({ value, label }: { value: unknown; label?: string }) {
  const text = typeof value === 'string' ? prettyJson(value) : JSON.stringify(value, null, 2);
  return <pre aria-label={label}>{text}</pre>;
}
