// The wizard's screens. Each states what happens there and the next step; later work fills them in.
import { Placeholder, Screen } from '../components/Screen';

export function CompareScreen() {
  return (
    <Screen title="Compare" lead="Measure merges against their parents: accuracy, loss, interpolation curves, ensembles and weight diffs.">
      <Placeholder>Comparison is not available in this build yet.</Placeholder>
    </Screen>
  );
}
