// Feedback after a change: "Automation saved", "2 automations triggered → History". A notice stays until it is
// dismissed (it may hold a link to follow) and is announced to screen readers; the newest few are kept.
import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';

interface Notice {
  id: number;
  content: ReactNode;
}

type Notify = (content: ReactNode) => void;

const NoticeContext = createContext<{ notices: Notice[]; notify: Notify; dismiss: (id: number) => void } | null>(null);

/** More would push the page down; the older ones were read already. */
const KEPT_NOTICES = 3;

export function NoticeProvider({ children }: { children: ReactNode }) {
  const [notices, setNotices] = useState<Notice[]>([]);
  const nextId = useRef(1);
  const notify = useCallback<Notify>((content) => {
    const id = nextId.current++;
    setNotices((list) => [...list, { id, content }].slice(-KEPT_NOTICES));
  }, []);
  const dismiss = useCallback((id: number) => setNotices((list) => list.filter((n) => n.id !== id)), []);
  const value = useMemo(() => ({ notices, notify, dismiss }), [notices, notify, dismiss]);
  return <NoticeContext.Provider value={value}>{children}</NoticeContext.Provider>;
}

export function useNotify(): Notify {
  const context = useContext(NoticeContext);
  if (!context) throw new Error('useNotify outside NoticeProvider');
  return context.notify;
}

/** Where the notices appear (once per page frame). */
export function NoticeArea() {
  const context = useContext(NoticeContext);
  if (!context) return null;
  return (
    <div className="notices" role="status" aria-live="polite" aria-label="Notices">
      {context.notices.map((notice) => (
        <div key={notice.id} className="notice">
          <span className="grow">{notice.content}</span>
          <button type="button" className="link" aria-label="Dismiss notice" onClick={() => context.dismiss(notice.id)}>
            ✕
          </button>
        </div>
      ))}
    </div>
  );
}
