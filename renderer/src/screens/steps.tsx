// The wizard's screens. Each states what happens there and the next step; later work fills them in.
import { Placeholder, Screen } from '../components/Screen';

export function AlignScreen() {
  return (
    <Screen title="Align layers" lead="Match layers across models by name, order and shape, then permute hidden units so averaging means something." next={{ step: 'scheme', label: 'Pick a merge scheme' }}>
      <Placeholder>Alignment is not available in this build yet.</Placeholder>
    </Screen>
  );
}
