// How many steps one call of the training graph runs when the options leave it open: as many as keep
// a call near TARGET_CALL_SECONDS, so a cancel is answered within a second. Results do not depend on
// it: the Loop runs the same step graph whatever K is.

const TARGET_CALL_SECONDS = 0.4;
const MAX_STEPS_PER_CALL = 64;

/** Steps for the next call, from the last call's `seconds` for `steps` steps. */
export function nextStepsPerCall(seconds: number, steps: number): number {
  return Math.max(1, Math.min(MAX_STEPS_PER_CALL, Math.floor(TARGET_CALL_SECONDS / Math.max(seconds / steps, 1e-4))));
}
