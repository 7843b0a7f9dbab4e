// A dataset in memory: inputs as one contiguous Float32Array, labels as class indices.
// Small enough for what this app trains on (MNIST-size); larger sets stream in a later design.

export interface Dataset {
  /** Spec that loads it again, e.g. "mnist:train", "idx:/path/train-images-idx3-ubyte", "mnist:train?task=rotate90". */
  id: string;
  /** Shape of one example: [C, H, W] for images, [F] for feature vectors. */
  inputShape: number[];
  numClasses: number;
  /** Class names when known ("0".."9", folder names). */
  classNames: string[];
  size: number;
  /** size × prod(inputShape) values, example-major. Images scaled to [0, 1]. */
  inputs: Float32Array;
  /** size class indices in [0, numClasses). */
  labels: Int32Array;
}
