// Rotations: "rotate:90" | 180 | 270 are exact pixel permutations; any other angle (degrees,
// counter-clockwise, about the image centre) is bilinear with zero fill, as torchvision's rotate.
import { DatasetError } from '../errors';
import { sampleBilinear } from '../image/bilinear';
import { makeDataset } from '../make';
import { requireImage, type DatasetTask } from './task';

export const rotateTask: DatasetTask = {
  name: 'rotate',
  summary: 'Rotate every image counter-clockwise by an angle in degrees',
  usage: 'rotate:90 | rotate:180 | rotate:270 | rotate:DEGREES',
  apply(d, args, id) {
    const [c, h, w] = requireImage(d, 'rotate');
    const deg = Number(args);
    if (args.trim() === '' || !Number.isFinite(deg)) throw new DatasetError(id, `rotate needs an angle in degrees, got "${args}"`, 'Write e.g. rotate:90');
    const quarter = ((Math.round(deg) % 360) + 360) % 360;
    const exact = deg === Math.round(deg) && quarter % 90 === 0;
    // Quarter turns of a non-square image swap height and width.
    const [oh, ow] = exact && quarter % 180 === 90 ? [w, h] : [h, w];
    const out = new Float32Array(d.inputs.length);
    const inPlane = h * w, outPlane = oh * ow;
    const cos = Math.cos((deg * Math.PI) / 180), sin = Math.sin((deg * Math.PI) / 180);
    const cy = (h - 1) / 2, cx = (w - 1) / 2;
    for (let n = 0; n < d.size; n++) {
      for (let ch = 0; ch < c; ch++) {
        const si = (n * c + ch) * inPlane, so = (n * c + ch) * outPlane;
        for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) {
          let v: number;
          if (exact) {
            // Output (y, x) of a counter-clockwise turn reads source (sy, sx).
            let sy: number, sx: number;
            if (quarter === 0) { sy = y; sx = x; }
            else if (quarter === 90) { sy = x; sx = w - 1 - y; }
            else if (quarter === 180) { sy = h - 1 - y; sx = w - 1 - x; }
            else { sy = h - 1 - x; sx = y; }
            v = d.inputs[si + sy * w + sx];
          } else {
            // Inverse map: turn the output point back (clockwise on screen; the y axis points down).
            const dy = y - cy, dx = x - cx;
            v = sampleBilinear(d.inputs, si, h, w, cy + sin * dx + cos * dy, cx + cos * dx - sin * dy, 0);
          }
          out[so + y * ow + x] = v;
        }
      }
    }
    return makeDataset({ ...d, id, inputShape: [c, oh, ow], inputs: out, labels: d.labels.slice(), classNames: [...d.classNames] });
  },
};
