// Cursor paging: the server hands out the next page's cursor; the pages before are remembered here.
import { useEffect, useState } from 'react';

/** Remembers the cursors of the pages before, so "Previous" works without the server's help. */
export function useCursorPager(resetKey: string) {
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  useEffect(() => setCursors([undefined]), [resetKey]);
  const cursor = cursors[cursors.length - 1];
  return {
    cursor,
    page: cursors.length,
    next: (nextCursor: string) => setCursors((c) => [...c, nextCursor]),
    previous: () => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)),
  };
}

export type CursorPager = ReturnType<typeof useCursorPager>;

/** Previous / Next under a list; hidden while everything fits on the first page. */
export function Pager({ pager, nextCursor }: { pager: CursorPager; nextCursor: string | null | undefined }) {
  if (pager.page === 1 && !nextCursor) return null;
  return (
    <nav className="pager" aria-label="Pages">
      <span className="muted">Page {pager.page}</span>
      <button type="button" onClick={pager.previous} disabled={pager.page === 1}>
        Previous
      </button>
      <button type="button" onClick={() => nextCursor && pager.next(nextCursor)} disabled={!nextCursor}>
        Next
      </button>
    </nav>
  );
}
