// What a page shows when the thing in its URL does not exist (deleted, renamed, mistyped): a heading and a way back.
import { Link } from 'react-router';

export function NotFoundPage({ title, back }: { title: string; back: { to: string; label: string } }) {
  return (
    <div className="card">
      <h1>{title}</h1>
      <p>It may have been deleted or renamed, or the address is mistyped.</p>
      <p>
        <Link to={back.to}>{back.label}</Link>
      </p>
    </div>
  );
}
