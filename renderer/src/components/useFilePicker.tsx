// Choosing one file: the native dialog in the desktop app, the in-page file browser in a browser.
// `start()` opens it; render `browser` where the in-page browser should appear.
import { useState, type ReactNode } from 'react';
import { studio } from '../api/studio';
import { FileBrowser } from './FileBrowser';

export function useFilePicker(options: { title: string; accept?: (name: string) => boolean; onPick: (path: string) => void }): { start(): void; browser: ReactNode } {
  const [browsing, setBrowsing] = useState(false);
  const start = () => {
    studio.pickFiles({ title: options.title }).then((r) => {
      if (!r.available) setBrowsing(true);
      else if (r.paths[0]) options.onPick(r.paths[0]);
    }, () => setBrowsing(true));
  };
  const browser = browsing
    ? <FileBrowser title={options.title} multiple={false} accept={options.accept} onClose={() => setBrowsing(false)} onOpen={(p) => { setBrowsing(false); if (p[0]) options.onPick(p[0]); }} />
    : null;
  return { start, browser };
}
