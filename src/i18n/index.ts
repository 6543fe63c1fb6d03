import { de } from './de.ts';
import { en, type MessageKey } from './en.ts';
import { negotiateLocale, type LocaleRequest } from './negotiate.ts';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../security/passwords.ts';

export type { MessageKey } from './en.ts';
export { negotiateLocale, parseAcceptLanguage, parseUiLocales } from './negotiate.ts';

export type Catalogue = Readonly<Record<MessageKey, string>>;
export type Params = Readonly<Record<string, string | number>>;

/** The languages Gatehouse ships, by BCP 47 tag. English is the fallback. */
export const CATALOGUES: Readonly<Record<string, Catalogue>> = { en, de };
export const DEFAULT_LOCALE = 'en';

/** What every view gets to draw its text in the negotiated language. */
export interface Translator {
  /** BCP 47 tag of the language drawn in (`<html lang>`, `Content-Language`). */
  readonly lang: string;
  /** Plain text (EJS escapes it with `<%= %>`). Unknown key: English, else the key itself. */
  t(key: MessageKey | (string & {}), params?: Params): string;
  /** For keys whose text holds markup: the parameters are HTML-escaped; use with `<%- %>`. */
  th(key: MessageKey, params?: Params): string;
  /** True when the key exists (e.g. `scope.<name>` for a scope that has a description). */
  has(key: string): boolean;
  /**
   * Messages made in English outside the views (the login router's error constants, the
   * invitation service's password-policy message) in this language: matched only against
   * the exact English texts listed in KNOWN_MESSAGES, anything else is shown as given.
   */
  known(text: string | undefined): string;
  /** A date in this language, e.g. "12 Mar 2025" / "12.03.2025". */
  date(value: Date): string;
}

/**
 * The English texts that reach views ready-made, with the catalogue entry that says them
 * in other languages. Kept in one list so a change of the English text is seen here:
 * test/unit/i18n.test.ts checks the login router's and the password policy's texts.
 */
export const KNOWN_MESSAGES: readonly { key: MessageKey; params?: Params }[] = [
  { key: 'login.failed' },
  { key: 'login.locked' },
  { key: 'password.mismatch' },
  { key: 'password.tooShort', params: { min: PASSWORD_MIN_LENGTH } },
  { key: 'password.tooLong', params: { max: PASSWORD_MAX_LENGTH } },
];

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' };
const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

function format(text: string, params: Params | undefined, escape: (v: string) => string): string {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? escape(String(params[name])) : whole));
}

export function createTranslator(lang: string, catalogues: Readonly<Record<string, Readonly<Record<string, string>>>> = CATALOGUES): Translator {
  const own = catalogues[lang] ?? {};
  const fallback = catalogues[DEFAULT_LOCALE] ?? {};
  const text = (key: string) => own[key] ?? fallback[key] ?? key;
  const englishToKey = new Map(KNOWN_MESSAGES.map(({ key, params }) => [format(fallback[key] ?? key, params, String), { key, params }]));
  const dates = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeZone: 'UTC' });

  return {
    lang,
    t: (key, params) => format(text(key), params, String),
    th: (key, params) => format(text(key), params, escapeHtml),
    has: (key) => key in own || key in fallback,
    known(message) {
      if (!message) return '';
      const entry = englishToKey.get(message);
      return entry ? format(text(entry.key), entry.params, String) : message;
    },
    date: (value) => dates.format(value),
  };
}

const shipped = new Map<string, Translator>();

/** The translator for a request: `ui_locales`, then `Accept-Language`, then English. */
export function translatorFor(request: LocaleRequest, catalogues: Readonly<Record<string, Readonly<Record<string, string>>>> = CATALOGUES): Translator {
  const lang = negotiateLocale(request, Object.keys(catalogues), DEFAULT_LOCALE);
  if (catalogues !== CATALOGUES) return createTranslator(lang, catalogues);
  // The shipped catalogues never change: one translator per language, made on first use.
  let translator = shipped.get(lang);
  if (!translator) shipped.set(lang, translator = createTranslator(lang));
  return translator;
}
