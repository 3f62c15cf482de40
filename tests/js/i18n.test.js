import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { errorSentence, fill, formatBytes, formatWait, makeTranslator, supportedLanguage } from "../../frontend/js/i18n.js";
import { ERROR_CODES, LANGUAGES, STRINGS } from "../../frontend/js/strings.js";

const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();

describe("strings", () => {
  it("ship the same keys in every language", () => {
    const english = Object.keys(STRINGS.en).sort();
    for (const language of Object.keys(LANGUAGES)) {
      assert.deepEqual(Object.keys(STRINGS[language]).sort(), english, `keys of ${language}`);
    }
  });

  it("use the same placeholders in every language", () => {
    for (const language of Object.keys(LANGUAGES)) {
      for (const [key, text] of Object.entries(STRINGS.en)) {
        assert.deepEqual(placeholders(STRINGS[language][key]), placeholders(text), `${language} ${key}`);
      }
    }
  });

  it("are really translated, not copied from English", () => {
    const same = Object.keys(STRINGS.en).filter(
      (key) => STRINGS.fr[key] === STRINGS.en[key] && /[a-z]{4}/.test(STRINGS.en[key].replace(/\{\w+\}/g, "")),
    );
    assert.deepEqual(same, []);
  });
});

describe("error sentences", () => {
  it("exist for every job error code of the API contract in every language", () => {
    for (const language of Object.keys(LANGUAGES)) {
      const t = makeTranslator(language);
      for (const code of ERROR_CODES) {
        assert.ok(t.has(`error.${code}`), `${language} has error.${code}`);
        const sentence = errorSentence(t, code, { maxUploadBytes: 40 * 1024 * 1024 });
        assert.doesNotMatch(sentence, /[{}]/, `${language} ${code} is fully filled: ${sentence}`);
        assert.ok(sentence.length > 20, `${language} ${code} is a sentence`);
      }
    }
  });

  it("say what a too-small image is in plain words", () => {
    assert.match(errorSentence(makeTranslator("en"), "TOO_SMALL"), /smaller than 80 px/);
  });

  it("name the configured upload limit for FILE_TOO_LARGE", () => {
    assert.match(errorSentence(makeTranslator("en"), "FILE_TOO_LARGE", { maxUploadBytes: 10 * 1024 * 1024 }), /10 MiB/);
    assert.match(errorSentence(makeTranslator("fr"), "FILE_TOO_LARGE", { maxUploadBytes: 40 * 1024 * 1024 }), /40 Mio/);
  });

  it("still say something for a code this page does not know yet", () => {
    assert.equal(errorSentence(makeTranslator("en"), "NEW_CODE"), "The analysis failed (NEW_CODE).");
  });

  it("are different for every code", () => {
    const t = makeTranslator("en");
    const sentences = new Set(ERROR_CODES.map((code) => errorSentence(t, code)));
    assert.equal(sentences.size, ERROR_CODES.length);
  });
});

describe("translator", () => {
  it("fills placeholders and leaves unknown ones visible", () => {
    assert.equal(fill("{a} and {b}", { a: 1 }), "1 and {b}");
  });

  it("picks plural forms by count with each language's rules", () => {
    const en = makeTranslator("en");
    const fr = makeTranslator("fr");
    assert.equal(en("batch.submitted", { count: 1 }), "1 image sent for analysis.");
    assert.equal(en("batch.submitted", { count: 0 }), "0 images sent for analysis.");
    assert.equal(fr("batch.submitted", { count: 0 }), "0 image envoyée pour analyse.");
    assert.equal(fr("batch.submitted", { count: 2 }), "2 images envoyées pour analyse.");
  });

  it("switches language", () => {
    assert.equal(makeTranslator("fr")("auth.signOut"), "Se déconnecter");
    assert.equal(makeTranslator("en")("auth.signOut"), "Sign out");
  });

  it("falls back to English for an unknown language or region variant", () => {
    assert.equal(supportedLanguage("de-DE"), "en");
    assert.equal(supportedLanguage("fr-CA"), "fr");
    assert.equal(supportedLanguage(undefined), "en");
  });

  it("formats sizes in binary units per language", () => {
    assert.equal(formatBytes(0), "0 B");
    assert.equal(formatBytes(1536), "1.5 KiB");
    assert.equal(formatBytes(40 * 1024 * 1024), "40 MiB");
    assert.equal(formatBytes(1536, "fr"), "1,5 Kio");
  });
});

describe("waits", () => {
  it("read as words of the language", () => {
    assert.equal(formatWait(30, "en"), "30 seconds");
    assert.equal(formatWait(600, "en"), "10 minutes");
    assert.match(formatWait(3 * 3600, "fr"), /^3\sheures$/u); // French puts a narrow no-break space there
  });
});
