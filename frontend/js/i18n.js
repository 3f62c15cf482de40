// The translator: looks keys up in strings.js, fills {placeholders}, formats numbers and sizes per language.
import { ERROR_CODES, LANGUAGES, STRINGS } from "./strings.js";

export const DEFAULT_LANGUAGE = "en";

export function supportedLanguage(candidate) {
  if (!candidate) return DEFAULT_LANGUAGE;
  const short = String(candidate).toLowerCase().slice(0, 2);
  return Object.hasOwn(LANGUAGES, short) ? short : DEFAULT_LANGUAGE;
}

export function fill(template, params = {}) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (Object.hasOwn(params, name) ? String(params[name]) : whole));
}

// Plural forms: `key.one` / `key.other`, picked by params.count. A missing key falls back to English,
// then to the key itself, so a gap shows up visibly instead of blank.
export function makeTranslator(language) {
  const lang = supportedLanguage(language);
  const table = STRINGS[lang];
  const fallback = STRINGS[DEFAULT_LANGUAGE];
  const plurals = new Intl.PluralRules(lang);
  const lookup = (source, key, params) => {
    if (Object.hasOwn(source, key)) return source[key];
    if (typeof params?.count !== "number") return undefined;
    return source[`${key}.${plurals.select(params.count)}`] ?? source[`${key}.other`];
  };
  const t = (key, params) => fill(lookup(table, key, params) ?? lookup(fallback, key, params) ?? key, params);
  t.lang = lang;
  t.has = (key) => Object.hasOwn(table, key);
  t.number = (value, digits = 0) =>
    new Intl.NumberFormat(lang, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(value);
  t.bytes = (count) => formatBytes(count, lang);
  return t;
}

const UNITS = ["B", "KiB", "MiB", "GiB"];
const FRENCH_UNITS = ["o", "Kio", "Mio", "Gio"];

export function formatBytes(count, lang = DEFAULT_LANGUAGE) {
  const units = lang === "fr" ? FRENCH_UNITS : UNITS;
  let value = Math.max(0, Number(count) || 0);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 10 || Number.isInteger(value) ? 0 : 1;
  const number = new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(value);
  return `${number} ${units[unit]}`;
}

// "3 minutes", "2 hours": how long a Retry-After of `seconds` is, in words of the language.
export function formatWait(seconds, lang = DEFAULT_LANGUAGE) {
  const value = Math.max(1, Number(seconds) || 0);
  const [amount, unit] =
    value >= 5400 ? [Math.round(value / 3600), "hour"] : value >= 90 ? [Math.round(value / 60), "minute"] : [value, "second"];
  return new Intl.NumberFormat(lang, { style: "unit", unit, unitDisplay: "long" }).format(Math.ceil(amount));
}

// A sentence a person understands for a job (or feature) error code from the API.
export function errorSentence(t, code, limits = {}) {
  if (ERROR_CODES.includes(code)) {
    return t(`error.${code}`, { limit: t.bytes(limits.maxUploadBytes ?? 40 * 1024 * 1024) });
  }
  return t("error.unknown", { code: code || "?" });
}
