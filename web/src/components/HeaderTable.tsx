// HTTP headers as a two-column table (webhook Test answers, delivery attempts).
export function HeaderTable({ headers, label }: { headers: Record<string, string | string[]>; label: string }) {
  const entries = Object.entries(headers);
  if (entries.length === 0) return <p className="muted">None.</p>;
  return (
    <table aria-label={label} className="small">
      <tbody>
        {entries.map(([name, value]) => (
          <tr key={name}>
            <td className="mono" style={{ width: '30%' }}>
              {name}
            </td>
            <td className="mono" style={{ overflowWrap: 'anywhere' }}>
              {Array.isArray(value) ? value.join(', ') : value}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
