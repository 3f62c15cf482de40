import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";

// WCAG 2 relative luminance and contrast ratio.
function luminance(hex) {
  const channels = [0, 2, 4].map((start) => parseInt(hex.slice(1 + start, 3 + start), 16) / 255);
  const linear = channels.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
}

function contrast(a, b) {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}

const css = await readFile(new URL("../../frontend/css/app.css", import.meta.url), "utf8");
const colour = Object.fromEntries([...css.matchAll(/--([\w-]+):\s*(#[0-9a-fA-F]{6})\s*;/g)].map((m) => [m[1], m[2]]));

// Every text colour / background pair the stylesheet uses for words.
const TEXT_PAIRS = [
  ["ink", "paper"],
  ["ink", "canvas"],
  ["muted", "paper"],
  ["muted", "canvas"],
  ["accent", "paper"],
  ["accent-ink", "accent"],
  ["ok", "ok-bg"],
  ["warn", "warn-bg"],
  ["bad", "bad-bg"],
  ["wait", "wait-bg"],
  ["bad", "paper"],
  ["warn", "paper"],
];

describe("colours", () => {
  for (const [text, background] of TEXT_PAIRS) {
    it(`--${text} on --${background} reaches 4.5:1 (WCAG AA)`, () => {
      assert.ok(colour[text] && colour[background], `both colours are defined in app.css`);
      const ratio = contrast(colour[text], colour[background]);
      assert.ok(ratio >= 4.5, `contrast ${ratio.toFixed(2)}`);
    });
  }
});

// The hue angle of a colour (0–360), which tells red from violet whatever their luminance.
function hue(hex) {
  const [r, g, b] = [0, 2, 4].map((start) => parseInt(hex.slice(1 + start, 3 + start), 16) / 255);
  const max = Math.max(r, g, b);
  const delta = max - Math.min(r, g, b);
  if (delta === 0) return 0;
  const sector = max === r ? ((g - b) / delta) % 6 : max === g ? (b - r) / delta + 2 : (r - g) / delta + 4;
  return Math.round((sector * 60 + 360) % 360);
}

describe("focus ring", () => {
  it("is not the error colour, and stands out from the page (3:1, WCAG non-text contrast)", () => {
    const gap = Math.abs(hue(colour.focus) - hue(colour.bad)) % 360;
    assert.ok(Math.min(gap, 360 - gap) >= 60, `hue ${hue(colour.focus)} vs the error's ${hue(colour.bad)}`);
    for (const background of ["paper", "canvas"]) {
      assert.ok(contrast(colour.focus, colour[background]) >= 3, `on --${background}`);
    }
  });
});
