import { createHash } from 'node:crypto';

/** What an operator may change about the pages' look (GATEHOUSE_THEME_*). */
export interface ThemeSettings {
  /** Product name: the brand line, page titles, the account client's name. */
  name: string;
  /** An https URL or a path on this server (`/…`); undefined: the name is shown as text. */
  logoUrl: string | undefined;
  /** `#rrggbb`. */
  primaryColor: string;
}

export const DEFAULT_THEME: Readonly<ThemeSettings> = { name: 'Gatehouse', logoUrl: undefined, primaryColor: '#1f5fbf' };

export class ThemeError extends Error {
  readonly field: keyof ThemeSettings;

  constructor(field: keyof ThemeSettings, message: string) {
    super(message);
    this.name = 'ThemeError';
    this.field = field;
  }
}

/** Checks each setting given; absent ones take the default. Throws ThemeError. */
export function parseTheme(input: { [K in keyof ThemeSettings]?: string | undefined }): ThemeSettings {
  const name = input.name ?? DEFAULT_THEME.name;
  if ([...name].length > 60 || /\p{Cc}/u.test(name)) throw new ThemeError('name', 'must be at most 60 characters, without control characters');
  const primaryColor = (input.primaryColor ?? DEFAULT_THEME.primaryColor).toLowerCase();
  if (!/^#[0-9a-f]{6}$/.test(primaryColor)) throw new ThemeError('primaryColor', `must be a colour written #rrggbb (got "${input.primaryColor}")`);
  return { name, logoUrl: input.logoUrl === undefined ? undefined : checkLogoUrl(input.logoUrl), primaryColor };
}

/**
 * https only (a plain-http image would be mixed content on an https issuer), or a path on
 * this origin. Quotes and whitespace are refused as well: the URL is also written into
 * the Content-Security-Policy header (img-src), where they would end the source list.
 */
function checkLogoUrl(value: string): string {
  const bad = () => new ThemeError('logoUrl', `must be an https URL or a path starting with "/" (got "${value}")`);
  if (/[\s"';,]/.test(value)) throw bad();
  if (value.startsWith('/') && !value.startsWith('//')) return value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad();
  }
  if (url.protocol !== 'https:' || url.username || url.password) throw bad();
  return url.href;
}

/** WCAG 2.1 relative luminance of `#rrggbb`. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2.1 contrast ratio (1 to 21). */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const toHex = (n: number) => Math.round(n).toString(16).padStart(2, '0');

/** The colour mixed toward black by `amount` (0 to 1). */
function darken(hex: string, amount: number): string {
  return `#${[1, 3, 5].map((i) => toHex(parseInt(hex.slice(i, i + 2), 16) * (1 - amount))).join('')}`;
}

/**
 * The colours derived from the primary one, each meeting WCAG 2.1 AA (1.4.3, 4.5:1 for
 * text): the text on a primary-coloured button (white or black, whichever contrasts more
 * — one of them always reaches 4.58:1), and primary-coloured text on the white page,
 * darkened until it reaches 4.5:1 when the colour itself is too light.
 */
export function themeColours(primary: string): { primary: string; onPrimary: string; primaryText: string } {
  const onPrimary = contrast(primary, '#ffffff') >= contrast(primary, '#000000') ? '#ffffff' : '#000000';
  let primaryText = primary;
  for (let step = 1; contrast(primaryText, '#ffffff') < 4.5 && step <= 20; step++) primaryText = darken(primary, step * 0.05);
  return { primary, onPrimary, primaryText };
}

export interface Theme extends ThemeSettings {
  /** The generated stylesheet: custom properties only, so no inline style is needed (CSP style-src 'self'). */
  css: string;
  /** Its URL, versioned by content so a changed colour is never served from a stale cache. */
  stylesheetHref: string;
  /** The logo's origin when it is on another site: the CSP's img-src must name it. */
  imageOrigin: string | undefined;
}

export function createTheme(settings: ThemeSettings): Theme {
  const colours = themeColours(settings.primaryColor);
  const css = `:root { --primary: ${colours.primary}; --on-primary: ${colours.onPrimary}; --primary-text: ${colours.primaryText}; }\n`;
  const version = createHash('sha256').update(css).digest('base64url').slice(0, 12);
  const imageOrigin = settings.logoUrl && !settings.logoUrl.startsWith('/') ? new URL(settings.logoUrl).origin : undefined;
  return { ...settings, css, stylesheetHref: `/assets/theme.css?v=${version}`, imageOrigin };
}
