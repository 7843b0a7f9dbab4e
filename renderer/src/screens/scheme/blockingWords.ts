// The pre-flight's reasons are worded for recipe files and the CLI ("output.overwrite: true", "--overwrite");
// on the Scheme screen the same reason names the screen's own fields instead.
const RECIPE_HINT = /choose another path, leave output\.path out to write into the run's own folder, or allow replacing it \(output\.overwrite: true in the recipe, --overwrite on the command line\)/;

const SCREEN_HINT = 'choose another path, empty the Output file field to write into this merge\'s own run folder, or tick “Replace the existing file”';

/** A blocking reason as the Scheme screen shows it. */
export function inScreenWords(reason: string): string {
  return reason.replace(RECIPE_HINT, SCREEN_HINT);
}
