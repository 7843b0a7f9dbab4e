// Tied groups (names that share one tensor) as a file or a caller states them, checked against the tensors
// they name. A group must list two or more known tensors of one dtype and shape, and a name may appear once
// in all the groups: a name twice in a group, or in two groups (a cross-tied pair), would make a writer
// drop a tensor or wait for one that never comes.
import type { DType } from '../tensor/dtypes';

export interface TiedTensorSpec {
  dtype: DType;
  shape: readonly number[];
}

export interface TiedGroupsCheck {
  /** The groups that hold, in their order. */
  groups: string[][];
  /** One sentence per group left out, saying why. */
  problems: string[];
}

/** A group in a message: JSON, cut short when a file made it long. */
function shown(group: unknown): string {
  const text = JSON.stringify(group) ?? String(group);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

export function checkTiedGroups(groups: readonly unknown[], specOf: (name: string) => TiedTensorSpec | undefined): TiedGroupsCheck {
  const kept: string[][] = [];
  const problems: string[] = [];
  const groupOf = new Map<string, string[]>();
  for (const group of groups) {
    const problem = groupProblem(group, specOf, groupOf);
    if (problem) {
      problems.push(`tied group ${shown(group)} ${problem}`);
      continue;
    }
    const names = group as string[];
    for (const n of names) groupOf.set(n, names);
    kept.push([...names]);
  }
  return { groups: kept, problems };
}

function groupProblem(group: unknown, specOf: (name: string) => TiedTensorSpec | undefined, groupOf: Map<string, string[]>): string | null {
  if (!Array.isArray(group) || group.length < 2 || !group.every((n) => typeof n === 'string')) return 'is not a list of two or more names';
  const names = group as string[];
  const inGroup = new Set<string>();
  for (const n of names) {
    if (inGroup.has(n)) return `names "${n}" twice`;
    inGroup.add(n);
    const earlier = groupOf.get(n);
    if (earlier) return `names "${n}", already tied in group ${shown(earlier)}`;
  }
  const first = specOf(names[0]);
  if (!first) return `names "${names[0]}", which is not among the tensors`;
  for (const n of names.slice(1)) {
    const s = specOf(n);
    if (!s) return `names "${n}", which is not among the tensors`;
    if (s.dtype !== first.dtype || s.shape.join() !== first.shape.join()) {
      return `ties "${names[0]}" (${first.dtype} [${first.shape.join(', ')}]) to "${n}" (${s.dtype} [${s.shape.join(', ')}]), which differ in dtype or shape`;
    }
  }
  return null;
}

/** The problems for a note: the first few, then how many more. */
export function summarizeTieProblems(problems: string[], shownAtMost = 5): string {
  const head = problems.slice(0, shownAtMost).join('; ');
  return problems.length > shownAtMost ? `${head}; and ${problems.length - shownAtMost} more` : head;
}
