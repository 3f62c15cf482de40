import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { chunk, classifyFile, imageContentType, isHiddenName, partitionFiles } from "../../frontend/js/files.js";

const MiB = 1024 * 1024;
const file = (name, size, type = "") => ({ name, size, type });

describe("client-side refusal before upload", () => {
  it("accepts an image within the limit, with its content type", () => {
    assert.deepEqual(classifyFile(file("a.jpg", 1000, "image/jpeg"), 40 * MiB), {
      ok: true,
      contentType: "image/jpeg",
    });
  });

  it("refuses files that are not images", () => {
    assert.equal(classifyFile(file("notes.txt", 10, "text/plain"), 40 * MiB).reason, "NOT_IMAGE");
    assert.equal(classifyFile(file("archive", 10), 40 * MiB).reason, "NOT_IMAGE");
  });

  it("refuses a 0-byte image", () => {
    assert.equal(classifyFile(file("empty.png", 0, "image/png"), 40 * MiB).reason, "EMPTY_FILE");
  });

  it("refuses a file over the configured limit, and accepts one exactly at it", () => {
    assert.equal(classifyFile(file("big.jpg", 40 * MiB + 1, "image/jpeg"), 40 * MiB).reason, "FILE_TOO_LARGE");
    assert.equal(classifyFile(file("edge.jpg", 40 * MiB, "image/jpeg"), 40 * MiB).ok, true);
  });

  it("recognizes HEIC by its extension when the browser gives no type", () => {
    assert.equal(imageContentType(file("IMG_0001.HEIC", 5)), "image/heic");
    assert.equal(imageContentType(file("photo.jpeg", 5, "application/octet-stream")), "image/jpeg");
  });

  it("splits a mixed selection and says why each refused file was refused", () => {
    const { accepted, refused } = partitionFiles(
      [file("a.jpg", 5, "image/jpeg"), file("b.txt", 5, "text/plain"), file("c.png", 0, "image/png")],
      40 * MiB,
    );
    assert.deepEqual(
      accepted.map((entry) => entry.file.name),
      ["a.jpg"],
    );
    assert.deepEqual(
      refused.map((entry) => [entry.name, entry.reason]),
      [
        ["b.txt", "NOT_IMAGE"],
        ["c.png", "EMPTY_FILE"],
      ],
    );
  });
});

describe("chunk", () => {
  it("cuts 1201 images into calls of at most 500", () => {
    const sizes = chunk(
      Array.from({ length: 1201 }, (_, index) => index),
      500,
    ).map((part) => part.length);
    assert.deepEqual(sizes, [500, 500, 201]);
  });

  it("makes no call for nothing", () => {
    assert.deepEqual(chunk([], 500), []);
  });
});

describe("hidden files from dropped folders", () => {
  it("are recognized in any path segment", () => {
    assert.equal(isHiddenName(".DS_Store"), true);
    assert.equal(isHiddenName("holiday/._IMG_1.jpg"), true);
    assert.equal(isHiddenName(".git/objects/x"), true);
    assert.equal(isHiddenName("holiday/IMG_1.jpg"), false);
  });
});
