// Light or dark: the user's choice (System follows prefers-color-scheme), remembered, applied as
// class="dark" on <html>. The colours themselves live in styles.css (see its convention comment).
import { create } from 'zustand';

export type ThemeChoice = 'system' | 'light' | 'dark';
export type ResolvedTheme = 'light' | 'dark';

const KEY = 'merge-studio:theme';
const media = () => window.matchMedia?.('(prefers-color-scheme: dark)');

function stored(): ThemeChoice {
  try {
    const v = window.localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch { return 'system'; }
}

function resolve(choice: ThemeChoice): ResolvedTheme {
  return choice === 'system' ? (media()?.matches ? 'dark' : 'light') : choice;
}

function apply(theme: ResolvedTheme): void {
  document.documentElement.classList.toggle('dark', theme === 'dark');
}

interface ThemeState {
  choice: ThemeChoice;
  resolved: ResolvedTheme;
  setChoice(choice: ThemeChoice): void;
}

export const useTheme = create<ThemeState>((set) => {
  const choice = stored();
  return {
    choice,
    resolved: resolve(choice),
    setChoice: (next) => {
      try {
        if (next === 'system') window.localStorage.removeItem(KEY);
        else window.localStorage.setItem(KEY, next);
      } catch { /* private mode: the choice lasts this session */ }
      const resolved = resolve(next);
      apply(resolved);
      set({ choice: next, resolved });
    },
  };
});

/** Applies the remembered theme before the first paint, and follows the system while the choice is System. */
export function initTheme(): void {
  apply(useTheme.getState().resolved);
  media()?.addEventListener('change', () => {
    const { choice } = useTheme.getState();
    if (choice !== 'system') return;
    const resolved = resolve('system');
    apply(resolved);
    useTheme.setState({ resolved });
  });
}
