// A loaded page of items: the load error, "Loading…" (where the page wants it), the empty state or the items.
import type { ReactNode } from 'react';
import type { Loaded } from './useLoad';
import { Loading, LoadError } from './Status';

export function LoadedList<T>({
  loaded,
  loadingWhat,
  empty,
  children,
}: {
  loaded: Loaded<{ items: T[] }>;
  /** "Loading <what>…" until the first answer; without it the space stays blank. */
  loadingWhat?: string;
  empty: ReactNode;
  children: (items: T[]) => ReactNode;
}) {
  const { data, error } = loaded;
  return (
    <>
      <LoadError error={error} />
      {!data ? loadingWhat && !error && <Loading what={loadingWhat} /> : data.items.length === 0 ? empty : children(data.items)}
    </>
  );
}
