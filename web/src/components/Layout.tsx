// The head of a page (crumbs, title, summary, its main action) and a card section with its own heading.
import { useId, type ReactNode } from 'react';

export function PageHead({ crumbs, title, sub, actions }: { crumbs?: ReactNode; title: ReactNode; sub?: ReactNode; actions?: ReactNode }) {
  return (
    <div className="page-head">
      <div>
        {crumbs && <div className="crumbs">{crumbs}</div>}
        <h1>{title}</h1>
        {sub && <p className="sub">{sub}</p>}
      </div>
      {actions}
    </div>
  );
}

/** A card named by its heading (a landmark screen readers list); `intro` explains it, `actions` sit on the right. */
export function Section({ title, intro, actions, children }: { title: string; intro?: ReactNode; actions?: ReactNode; children: ReactNode }) {
  const titleId = useId();
  const heading = <h2 id={titleId}>{title}</h2>;
  return (
    <section className="card" aria-labelledby={titleId}>
      <div className="card-head">
        {intro ? (
          <div>
            {heading}
            <p>{intro}</p>
          </div>
        ) : (
          heading
        )}
        {actions}
      </div>
      {children}
    </section>
  );
}
