// The frame every wizard step shares: title, one line of what happens here, content, the next step.
// The forward button appears only for a step this build has (navigation.ts); a screen passes `next` only
// once its own work allows going on (e.g. Train: after training produced checkpoints).
import type { ReactNode } from 'react';
import { Compass } from 'lucide-react';
import { stepInfo } from '../navigation';
import { useStudio, type Step } from '../state/store';

export function Screen(props: { title: string; lead: string; next?: { step: Step; label: string }; children?: ReactNode }) {
  const setStep = useStudio((s) => s.setStep);
  const next = props.next && stepInfo(props.next.step).available ? props.next : undefined;
  return (
    <section className="mx-auto max-w-5xl p-8" aria-labelledby="screen-title">
      <h1 id="screen-title" className="text-2xl font-semibold">{props.title}</h1>
      <p className="mt-1 text-slate-600" data-testid="screen-lead">{props.lead}</p>
      <div className="mt-6 space-y-4">{props.children}</div>
      {next && (
        <div className="mt-8 flex justify-end">
          <button
            type="button"
            className="rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700"
            onClick={() => setStep(next.step)}
          >
            {next.label} →
          </button>
        </div>
      )}
    </section>
  );
}

export function Placeholder({ children }: { children: ReactNode }) {
  return <div className="rounded-lg border border-dashed border-slate-300 bg-white p-6 text-slate-600">{children}</div>;
}

/**
 * What a screen shows instead of controls that cannot work yet: what is missing, and buttons to the steps
 * that provide it. One guide, not a list of errors.
 */
export function Guide({ title, children, actions }: { title: string; children?: ReactNode; actions: { label: string; step: Step }[] }) {
  const setStep = useStudio((s) => s.setStep);
  return (
    <div className="flex gap-3 rounded-lg border border-indigo-200 bg-indigo-50 p-4" data-testid="guide" role="note" aria-label={title}>
      <Compass aria-hidden className="mt-0.5 size-5 shrink-0 text-indigo-700" />
      <div className="flex-1">
        <div className="font-medium text-slate-900">{title}</div>
        {children && <div className="mt-1 text-sm text-slate-700">{children}</div>}
        <div className="mt-3 flex flex-wrap gap-2">
          {actions.map((a, i) => (
            <button key={a.step} type="button" onClick={() => setStep(a.step)}
              className={i === 0 ? 'rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-700' : 'rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm hover:bg-slate-100'}>
              {a.label} →
            </button>
          ))}
        </div>
      </div>
    </div>
  );
}
