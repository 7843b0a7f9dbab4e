// System / Light / Dark: three buttons, the pressed one is the current choice.
import { Monitor, Moon, Sun } from 'lucide-react';
import { useTheme, type ThemeChoice } from '../theme';

const CHOICES: { id: ThemeChoice; label: string; Icon: typeof Sun }[] = [
  { id: 'system', label: 'System', Icon: Monitor },
  { id: 'light', label: 'Light', Icon: Sun },
  { id: 'dark', label: 'Dark', Icon: Moon },
];

export function ThemeToggle() {
  const { choice, setChoice } = useTheme();
  return (
    <div role="group" aria-label="Colour theme" className="flex rounded-md border border-slate-200 p-0.5">
      {CHOICES.map(({ id, label, Icon }) => (
        <button key={id} type="button" aria-pressed={choice === id} title={id === 'system' ? 'Follow the system setting' : `${label} theme`} onClick={() => setChoice(id)}
          className={`flex flex-1 items-center justify-center gap-1 rounded px-1.5 py-1 text-xs ${choice === id ? 'bg-slate-200 font-medium text-slate-900' : 'text-slate-600 hover:bg-slate-100'}`}>
          <Icon aria-hidden className="size-3.5" />{label}
        </button>
      ))}
    </div>
  );
}
