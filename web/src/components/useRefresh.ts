// Pages that show work in progress (queues, jobs) ask again by themselves, quickly while something is unfinished
// and slowly otherwise (a new job may arrive at any time); not while the tab is hidden.
import { useEffect } from 'react';

/** A job claimed by an agent shows Running within two seconds. */
export const BUSY_REFRESH_MS = 1500;
export const IDLE_REFRESH_MS = 5000;

export function useAutoRefresh(busy: boolean, reload: () => void): void {
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, busy ? BUSY_REFRESH_MS : IDLE_REFRESH_MS);
    return () => clearInterval(timer);
  }, [busy, reload]);
}
