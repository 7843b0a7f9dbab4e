// The derived tasks. Adding one = one file in this folder + one line here.
import { DatasetError } from '../errors';
import type { Dataset } from '../types';
import { colorBgTask } from './color-bg';
import { invertTask } from './invert';
import { rotateTask } from './rotate';
import { subsetTask } from './subset';
import type { DatasetTask } from './task';

const TASKS: DatasetTask[] = [subsetTask, rotateTask, invertTask, colorBgTask];

export function listTasks(): { name: string; summary: string; usage: string }[] {
  return TASKS.map(({ name, summary, usage }) => ({ name, summary, usage }));
}

/** Applies one task written as "NAME" or "NAME:ARGS"; `id` is the resulting dataset's id. */
export function applyTask(d: Dataset, task: string, id: string): Dataset {
  const colon = task.indexOf(':');
  const name = (colon < 0 ? task : task.slice(0, colon)).trim().toLowerCase();
  const args = colon < 0 ? '' : task.slice(colon + 1);
  const t = TASKS.find((x) => x.name === name);
  if (!t) throw new DatasetError(id, `unknown task "${name}"`, `Known tasks: ${TASKS.map((x) => x.usage).join('; ')}`);
  return t.apply(d, args, id);
}
