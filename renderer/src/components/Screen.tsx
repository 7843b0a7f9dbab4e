// The frame every wizard step shares: title, one line of what happens here, content, the next step.
import type { ReactNode } from 'react';
import { useStudio, type Step } from '../state/store';

export function Screen(props: { title: string; lead: string; next?: { step: Step; label: string }; children?: ReactNode }) {
  const setStep = useStudio((s) => s.setStep);
  return (
    <section className="mx-auto max-w-5xl p-8" aria-labelledby="screen-title">
      <h1 id="screen-title" className="text-2xl font-semibold">{props.title}</h1>
      <p className="mt-1 text-slate-600" data-testid="screen-lead">{props.lead}</p>
      <div className="mt-6 space-y-4">{props.children}</div>
      {props.next && (
        <div className="mt-8 flex justify-end">
          <button
            type="button"
            className="rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700"
            onClick={() => setStep(props.next!.step)}
          >
            {props.next.label} →
          </button>
        </div>
      )}
    </section>
  );
}

export function Placeholder({ children }: { children: ReactNode }) {
  return <div className="rounded-lg border border-dashed border-slate-300 bg-white p-6 text-slate-500">{children}</div>;
}
