import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { boxInPixels, boxStyle, clampBox, collectBoxes } from "../../frontend/js/geometry.js";

const face = (Left, Top, Width, Height, Confidence = 99.5) => ({
  BoundingBox: { Left, Top, Width, Height },
  Confidence,
});

describe("clampBox", () => {
  it("keeps a box that lies inside the image unchanged", () => {
    assert.deepEqual(clampBox({ Left: 0.25, Top: 0.5, Width: 0.5, Height: 0.25 }), {
      left: 0.25,
      top: 0.5,
      width: 0.5,
      height: 0.25,
    });
  });

  it("cuts a face box that starts left of and above the image at the edge", () => {
    const box = clampBox({ Left: -0.1, Top: -0.2, Width: 0.3, Height: 0.4 });
    assert.equal(box.left, 0);
    assert.equal(box.top, 0);
    assert.ok(Math.abs(box.width - 0.2) < 1e-12);
    assert.ok(Math.abs(box.height - 0.2) < 1e-12);
  });

  it("cuts a box that runs past the right and bottom edges", () => {
    const box = clampBox({ Left: 0.9, Top: 0.8, Width: 0.5, Height: 0.5 });
    assert.ok(Math.abs(box.width - 0.1) < 1e-12);
    assert.ok(Math.abs(box.height - 0.2) < 1e-12);
  });

  it("drops boxes that are entirely outside, empty or missing", () => {
    assert.equal(clampBox({ Left: 1.2, Top: 0.1, Width: 0.1, Height: 0.1 }), null);
    assert.equal(clampBox({ Left: 0.1, Top: 0.1, Width: 0, Height: 0.1 }), null);
    assert.equal(clampBox(undefined), null);
  });
});

describe("boxStyle and boxInPixels", () => {
  it("turns fractions into CSS percentages of the displayed image", () => {
    assert.deepEqual(boxStyle({ left: 0.125, top: 0.5, width: 0.25, height: 0.1 }), {
      left: "12.500%",
      top: "50.000%",
      width: "25.000%",
      height: "10.000%",
    });
  });

  it("maps a box onto the normalized image's pixels", () => {
    assert.deepEqual(boxInPixels({ left: 0.25, top: 0.5, width: 0.5, height: 0.25 }, 800, 600), {
      x: 200,
      y: 300,
      width: 400,
      height: 150,
    });
  });
});

describe("collectBoxes", () => {
  const results = {
    faces: [face(0.1, 0.1, 0.2, 0.3, 99.1), face(0.6, 0.1, 0.2, 0.3, 88)],
    labels: [
      {
        Name: "Dog",
        Confidence: 97,
        Instances: [{ BoundingBox: { Left: 0.1, Top: 0.2, Width: 0.3, Height: 0.4 }, Confidence: 95 }],
      },
      { Name: "Outdoors", Confidence: 90, Instances: [] },
    ],
    text: [
      {
        Type: "LINE",
        DetectedText: "HELLO WORLD",
        Confidence: 99,
        Geometry: { BoundingBox: { Left: 0.1, Top: 0.8, Width: 0.5, Height: 0.1 } },
      },
      {
        Type: "WORD",
        DetectedText: "HELLO",
        Confidence: 99,
        Geometry: { BoundingBox: { Left: 0.1, Top: 0.8, Width: 0.2, Height: 0.1 } },
      },
    ],
  };

  it("collects faces, label instances and text lines (not words) with their captions", () => {
    const boxes = collectBoxes(results);
    assert.deepEqual(
      boxes.map((box) => [box.kind, box.index ?? box.name]),
      [
        ["face", 1],
        ["face", 2],
        ["label", "Dog"],
        ["text", "HELLO WORLD"],
      ],
    );
  });

  it("leaves out the kinds the user switched off", () => {
    const boxes = collectBoxes(results, { faces: false, labels: true, text: false });
    assert.deepEqual(
      boxes.map((box) => box.kind),
      ["label"],
    );
  });

  it("draws nothing for a job without results", () => {
    assert.deepEqual(collectBoxes(null), []);
    assert.deepEqual(collectBoxes({ labels: [{ Name: "Sky", Confidence: 90 }] }), []);
  });
});
