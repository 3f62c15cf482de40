// Files out of a drop: plain files, or whole folders walked through the File System entries API.
import { isHiddenName } from "./files.js";

function readAllEntries(reader) {
  // readEntries answers in pieces (100 at a time in Chromium) until it returns an empty list.
  return new Promise((resolve, reject) => {
    const entries = [];
    const readMore = () =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(entries);
        else {
          entries.push(...batch);
          readMore();
        }
      }, reject);
    readMore();
  });
}

async function filesOfEntry(entry) {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    Object.defineProperty(file, "relativePath", { value: entry.fullPath.replace(/^\//, "") });
    return [file];
  }
  if (entry.isDirectory) {
    const children = await readAllEntries(entry.createReader());
    const nested = await Promise.all(children.map(filesOfEntry));
    return nested.flat();
  }
  return [];
}

export async function filesFromDrop(dataTransfer) {
  const entries = [...(dataTransfer.items ?? [])]
    .filter((item) => item.kind === "file")
    .map((item) => item.webkitGetAsEntry?.())
    .filter(Boolean);
  const files = entries.length ? (await Promise.all(entries.map(filesOfEntry))).flat() : [...dataTransfer.files];
  return files.filter((file) => !isHiddenName(file.relativePath || file.webkitRelativePath || file.name));
}

export function filesFromInput(input) {
  return [...input.files].filter((file) => !isHiddenName(file.webkitRelativePath || file.name));
}
