// Boxes to draw over the normalized image. Rekognition boxes are fractions (0..1) of the image the worker
// sent it, which is exactly `job.image`, so they map to CSS percentages of the displayed picture.

const clamp01 = (value) => Math.min(1, Math.max(0, Number(value) || 0));

// Clamps a Rekognition BoundingBox into the picture (faces at the edge can start at a negative Left).
export function clampBox(box) {
  if (!box) return null;
  const left = clamp01(box.Left);
  const top = clamp01(box.Top);
  const right = clamp01((Number(box.Left) || 0) + (Number(box.Width) || 0));
  const bottom = clamp01((Number(box.Top) || 0) + (Number(box.Height) || 0));
  if (right <= left || bottom <= top) return null;
  return { left, top, width: right - left, height: bottom - top };
}

const percent = (fraction) => `${(fraction * 100).toFixed(3)}%`;

export function boxStyle(box) {
  return { left: percent(box.left), top: percent(box.top), width: percent(box.width), height: percent(box.height) };
}

// The same box in pixels of an image of the given size (for the CSV and for tests that measure).
export function boxInPixels(box, width, height) {
  return {
    x: Math.round(box.left * width),
    y: Math.round(box.top * height),
    width: Math.round(box.width * width),
    height: Math.round(box.height * height),
  };
}

// Every drawable box of a job's results, for the features the user switched on.
// kind: "face" | "label" | "text"; caption: a short text drawn with the box.
export function collectBoxes(results, show = { faces: true, labels: true, text: true }) {
  const boxes = [];
  if (!results) return boxes;
  if (show.faces) {
    (results.faces ?? []).forEach((face, index) => {
      const box = clampBox(face.BoundingBox);
      if (box) boxes.push({ kind: "face", index: index + 1, confidence: face.Confidence, box });
    });
  }
  if (show.labels) {
    for (const label of results.labels ?? []) {
      for (const instance of label.Instances ?? []) {
        const box = clampBox(instance.BoundingBox);
        if (box) boxes.push({ kind: "label", name: label.Name, confidence: instance.Confidence, box });
      }
    }
  }
  if (show.text) {
    for (const detection of results.text ?? []) {
      // WORDs repeat their LINE; drawing both would double every box.
      if (detection.Type !== "LINE") continue;
      const box = clampBox(detection.Geometry?.BoundingBox);
      if (box) boxes.push({ kind: "text", name: detection.DetectedText, confidence: detection.Confidence, box });
    }
  }
  return boxes;
}
