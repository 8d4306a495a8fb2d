// A list table: its column headings (and the row-menu column where rows have one), then the rows.
import type { ReactNode } from 'react';
import { ActionsHeader } from './RowMenu';

export function DataTable({ label, columns, withActions = false, children }: { label?: string; columns: string[]; withActions?: boolean; children: ReactNode }) {
  return (
    <table aria-label={label}>
      <thead>
        <tr>
          {columns.map((column) => (
            <th key={column}>{column}</th>
          ))}
          {withActions && <ActionsHeader />}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}
