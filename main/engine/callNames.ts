// The API's call names without zod, for the sandboxed preload (which can require nothing but electron).
// api.ts checks at compile time that this list and its `calls` table hold the same names.
export const CALL_NAMES = [
  'getEnvironment', 'startJob', 'cancelJob', 'listJobs',
  'openModel', 'closeModel', 'tensorStats', 'browse', 'pickFiles', 'trainingChoices',
  'mergeMethods', 'preflightMerge', 'recipeToYaml', 'recipeFromYaml', 'saveRecipe', 'loadRecipe', 'importMergekit', 'exportMergekit', 'matchLayers',
  'listRuns', 'readRun', 'deleteRun', 'renameRun', 'compareReport', 'modelNames',
  'architectureGraph', 'getUiState', 'saveUiState',
] as const;
export type CallNameList = (typeof CALL_NAMES)[number];
