// Lineage from the weights alone: which models share an initialisation, which one is the base of the others,
// and which are independent (their hidden units in another order: to be permuted onto the others first).
//   - Two models trained from one init keep much of it: their weight matrices point the same way (cosine
//     well above 0). Independent inits are uncorrelated: cosine ≈ 0. (Biases and norms are left out: they
//     start at 0 or 1 in every init.)
//   - The base of fine-tunes lies between them: each is clearly closer to it than to the others (by
//     BASE_MARGIN), and their task vectors from it are not near-opposite. Where that does not single one
//     out it is not guessed: fine-tunes of one task that moved together lie closer to each other than to
//     their base (seen: 0.15 apart, 0.27 from the base), and then the weights alone cannot tell which is
//     the base. Checkpoints of one run (epoch-N files of one folder) have no base: a middle checkpoint lies
//     between its neighbours like a base.
import path from 'node:path';
import type { Gram } from './weights';
import type { Lineage, PairStats } from './types';

/** Weight cosine from which two models count as sharing an initialisation. */
export const SHARED_INIT_COSINE = 0.5;
/** The others are at least this much farther from each other than from the base. */
const BASE_MARGIN = 1.2;
/**
 * Task vectors from a base may pull against each other (fine-tunes on digits 0–4 and on 5–9 of one MLP:
 * −0.43), but not head-on.
 */
const BASE_TASK_COSINE_MIN = -0.6;

interface Participant { name: string; role: 'model' | 'base'; path: string }

/** A checkpoint's number in its file name: epoch-003.safetensors, ckpt_12.pt, step-500.pth. */
const CHECKPOINT_NAME = /(?:epoch|ep|ckpt|checkpoint|step)[-_.]?(\d+)/i;

/** Checkpoints of one run: every file in one folder, each named with a checkpoint number, all different. */
function oneRun(who: Participant[]): boolean {
  const epochs = who.map((w) => CHECKPOINT_NAME.exec(path.basename(w.path))?.[1]);
  return who.length >= 2 && new Set(who.map((w) => path.dirname(w.path))).size === 1 && epochs.every((e) => e !== undefined) && new Set(epochs).size === who.length;
}

/** Groups of a relation (connected components), as index lists, in the order of their first member. */
function groupsOf(n: number, linked: (i: number, j: number) => boolean): number[][] {
  const group = Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => (group[i] === i ? i : (group[i] = find(group[i])));
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (linked(i, j)) group[find(j)] = find(i);
  const out = new Map<number, number[]>();
  for (let i = 0; i < n; i++) { const r = find(i); out.set(r, [...(out.get(r) ?? []), i]); }
  return [...out.values()];
}

/** The member of `group` that is the base of the others, if one is (three or more members). */
function baseIn(g: Gram, group: number[]): number | undefined {
  if (group.length < 3) return undefined;
  const fits = group.filter((c) => {
    const others = group.filter((i) => i !== c);
    for (let x = 0; x < others.length; x++) {
      for (let y = x + 1; y < others.length; y++) {
        const [i, j] = [others[x], others[y]];
        const between = Math.sqrt(g.distance2(i, j));
        if (!(BASE_MARGIN * Math.sqrt(Math.max(g.distance2(c, i), g.distance2(c, j))) <= between)) return false;
        if (g.taskCosine(i, j, c) < BASE_TASK_COSINE_MIN) return false;
      }
    }
    return true;
  });
  // Two candidates can only both pass with near-identical models; the one closest to all is taken.
  const spread = (c: number) => group.reduce((a, i) => a + g.distance2(c, i), 0);
  return fits.sort((a, b) => spread(a) - spread(b))[0];
}

/**
 * Lineage of `who` from their Gram matrix over the weight matrices. `givenBase`: the index of the base the
 * user named (--base, the recipe's base), if any.
 */
export function lineageOf(g: Gram, who: Participant[], givenBase: number | undefined, tensors: number): Lineage {
  const n = who.length;
  const notes: string[] = [];
  const pairs: PairStats[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const cos = g.cosine(i, j);
      pairs.push({ a: who[i].name, b: who[j].name, weight_cosine: cos, relative_distance: g.relativeDistance(i, j), shared_init: cos >= SHARED_INIT_COSINE });
    }
  }
  const groups = groupsOf(n, (i, j) => g.cosine(i, j) >= SHARED_INIT_COSINE);
  const models = who.map((_, i) => i).filter((i) => who[i].role === 'model');
  // The main group: the one with the most models (the first model's on a tie); the others align to it.
  const modelCount = (grp: number[]) => grp.filter((i) => who[i].role === 'model').length;
  const main = [...groups].sort((a, b) => modelCount(b) - modelCount(a) || a[0] - b[0])[0] ?? [];
  let base: number | undefined;
  if (givenBase !== undefined) {
    if (main.includes(givenBase)) base = givenBase;
    else notes.push(`the base ${who[givenBase].name} does not share an initialisation with ${main.filter((i) => i !== givenBase).map((i) => who[i].name).join(', ') || 'the models'}: task vectors from it mean nothing`);
  } else if (main.length >= 2 && oneRun(main.map((i) => who[i]))) {
    notes.push(`${main.map((i) => who[i].name).join(', ')} are checkpoints of one run: no base, average them (mean, EMA)`);
  } else {
    base = baseIn(g, main);
    if (base === undefined && main.length >= 2) notes.push(`which of ${main.map((i) => who[i].name).join(', ')} is the base (if one is) cannot be told from the weights alone: give it as the base`);
  }
  const members = main.filter((i) => i !== base && who[i].role === 'model');
  const taskVectors: Lineage['task_vectors'] = [];
  if (base !== undefined) {
    for (let x = 0; x < members.length; x++) for (let y = x + 1; y < members.length; y++) {
      taskVectors.push({ a: who[members[x]].name, b: who[members[y]].name, cosine: g.taskCosine(members[x], members[y], base) });
    }
  }
  return {
    base: base === undefined ? null : who[base].name,
    base_given: givenBase !== undefined && base === givenBase,
    shared_init: groups.filter((grp) => grp.length >= 2).map((grp) => grp.map((i) => who[i].name)),
    needs_alignment: models.filter((i) => !main.includes(i)).map((i) => who[i].name),
    pairs,
    task_vectors: taskVectors,
    tensors,
    notes,
  };
}
