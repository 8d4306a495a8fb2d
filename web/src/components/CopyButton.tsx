// "Copy" beside a value people paste elsewhere (API keys, generated passwords, ids); says "Copied" once done.
import { useState } from 'react';

export function CopyButton({ value, label = 'Copy' }: { value: string; label?: string }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
    } catch {
      // No clipboard (an insecure origin, or permission refused): the value stays selectable on the page.
      setCopied(false);
    }
  };
  return (
    <button type="button" className="small" onClick={() => void copy()} title="Copy to the clipboard">
      {copied === null ? label : copied ? 'Copied' : 'Select and copy it by hand'}
    </button>
  );
}
