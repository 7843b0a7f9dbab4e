// The names of the alignment and repair methods, with no imports: the API contract (loaded by the renderer) and
// the recipe schema take them from here.
export const ALIGN_METHODS = ['none', 'weight', 'activation'] as const;
export type AlignMethod = (typeof ALIGN_METHODS)[number];

export const REPAIR_METHODS = ['none', 'reset', 'repair'] as const;
export type RepairMethod = (typeof REPAIR_METHODS)[number];
