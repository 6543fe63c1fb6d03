import { de } from '../../src/i18n/de.ts';
import { en } from '../../src/i18n/en.ts';
import {
  CATALOGUES, createTranslator, negotiateLocale, parseAcceptLanguage, parseUiLocales, translatorFor,
} from '../../src/i18n/index.ts';
import { describeScope } from '../../src/i18n/scopes.ts';
import { LOGIN_FAILED, LOGIN_LOCKED } from '../../src/interactions/router.ts';
import { validatePasswordPolicy } from '../../src/security/passwords.ts';

describe('Accept-Language (RFC 9110 §12.5.4)', () => {
  test('ranges come out by weight, the header order kept among equals', () => {
    expect(parseAcceptLanguage('fr;q=0.5, de-AT, en;q=0.8, it')).toEqual(['de-AT', 'it', 'en', 'fr']);
  });

  test('q=0 (not acceptable) and malformed entries are dropped; * is kept', () => {
    expect(parseAcceptLanguage('de;q=0, en;q=2, x y, fr;q=abc, *;q=0.1, es;Q=0.3')).toEqual(['es', '*']);
    expect(parseAcceptLanguage(undefined)).toEqual([]);
    expect(parseAcceptLanguage('')).toEqual([]);
  });

  test('only the first 20 entries of a long header are looked at', () => {
    expect(parseAcceptLanguage([...Array(30).keys()].map(() => 'xx').concat('de').join(','))).not.toContain('de');
  });
});

describe('ui_locales (OIDC Core §3.1.2.1)', () => {
  test('space-separated tags in the client\'s order; malformed ones dropped', () => {
    expect(parseUiLocales('fr-CA de  en_US <x>')).toEqual(['fr-CA', 'de']);
    expect(parseUiLocales(undefined)).toEqual([]);
  });
});

describe('negotiateLocale', () => {
  const available = ['en', 'de'];

  test.each([
    [{ acceptLanguage: 'de-DE,de;q=0.9,en;q=0.8' }, 'de'],
    [{ acceptLanguage: 'fr, en;q=0.1' }, 'en'],
    [{ acceptLanguage: 'fr' }, 'en'],
    [{ acceptLanguage: 'DE-ch-1996' }, 'de'],
    [{ acceptLanguage: 'de-x-private' }, 'de'],
    [{ acceptLanguage: '*' }, 'en'],
    [{ uiLocales: 'de', acceptLanguage: 'en' }, 'de'],
    [{ uiLocales: 'fr', acceptLanguage: 'de' }, 'de'],
    [{}, 'en'],
  ])('%j → %s', (request, expected) => {
    expect(negotiateLocale(request, available, 'en')).toBe(expected);
  });

  test('an available regional language is matched exactly before its base language', () => {
    expect(negotiateLocale({ acceptLanguage: 'pt-BR, pt' }, ['en', 'pt', 'pt-BR'], 'en')).toBe('pt-BR');
    expect(negotiateLocale({ acceptLanguage: 'pt-PT' }, ['en', 'pt', 'pt-BR'], 'en')).toBe('pt');
  });
});

describe('catalogues', () => {
  const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  const markup = (text: string) => [...text.matchAll(/<\/?\w+>/g)].map((m) => m[0]);

  test('German says every English message with the same parameters and the same markup', () => {
    expect(Object.keys(de).sort()).toEqual(Object.keys(en).sort());
    for (const [key, english] of Object.entries(en)) {
      const german = (de as Record<string, string>)[key]!;
      expect({ key, placeholders: placeholders(german), markup: markup(german) })
        .toEqual({ key, placeholders: placeholders(english), markup: markup(english) });
    }
  });

  test('t fills parameters as text; th escapes them for HTML', () => {
    const i18n = createTranslator('en');
    expect(i18n.t('login.cancel', { client: '<b>App</b>' })).toBe('Cancel and return to <b>App</b>');
    expect(i18n.th('login.continueTo', { client: '<img src=x onerror=alert(1)>' }))
      .toBe('to continue to <strong>&lt;img src=x onerror=alert(1)&gt;</strong>');
  });

  test('a missing message falls back to English, then to its key (a test-only language)', () => {
    const i18n = createTranslator('xx', { en, xx: { 'login.title': 'Xign in' } });
    expect(i18n.t('login.title')).toBe('Xign in');
    expect(i18n.t('login.submit')).toBe('Sign in');
    expect(i18n.t('no.such.key')).toBe('no.such.key');
    expect(translatorFor({ acceptLanguage: 'xx' }, { en, xx: { 'login.title': 'Xign in' } }).lang).toBe('xx');
  });

  test('the ready-made English messages of the login router and the password policy are translated', () => {
    const german = translatorFor({ acceptLanguage: 'de' });
    expect(german.known(LOGIN_FAILED)).toBe(de['login.failed']);
    expect(german.known(LOGIN_LOCKED)).toBe(de['login.locked']);
    expect(german.known(`The password ${validatePasswordPolicy('short')}.`)).toBe('Das Passwort muss mindestens 8 Zeichen lang sein.');
    expect(german.known(`The password ${validatePasswordPolicy('x'.repeat(200))}.`)).toBe('Das Passwort darf höchstens 128 Zeichen lang sein.');
    expect(german.known('Something nobody translated.')).toBe('Something nobody translated.');
    expect(german.known(undefined)).toBe('');
    expect(translatorFor({}).known(LOGIN_FAILED)).toBe(LOGIN_FAILED);
  });

  test('dates are written in the language', () => {
    const at = new Date('2025-03-12T10:00:00Z');
    expect(createTranslator('en').date(at)).toBe('Mar 12, 2025');
    expect(createTranslator('de').date(at)).toBe('12.03.2025');
  });

  test('scopes are described: known ones, admin API ones by resource and access, others by name', () => {
    const german = translatorFor({ acceptLanguage: 'de' });
    const english = translatorFor({});
    expect(describeScope(english, 'email')).toBe('See your email address');
    expect(describeScope(english, 'admin:api-keys:read')).toBe('Read API keys through the admin API');
    expect(describeScope(german, 'admin:grants:write')).toBe('Freigaben über die Admin-API ändern');
    expect(describeScope(english, 'admin:nothing:read')).toBe('Use the "admin:nothing:read" permission');
    expect(describeScope(german, 'billing:read')).toBe('Die Berechtigung „billing:read“ verwenden');
  });

  test('every shipped catalogue is offered', () => {
    expect(Object.keys(CATALOGUES).sort()).toEqual(['de', 'en']);
  });
});

describe('accessible names', () => {
  test.each(['en', 'de'])('%s: each button\'s aria-label holds its visible text (WCAG 2.1 §2.5.3)', (lang) => {
    const i18n = createTranslator(lang);
    for (const [button, label] of [['account.apps.revoke', 'account.apps.revokeLabel'], ['account.apiKeys.revoke', 'account.apiKeys.revokeLabel']] as const) {
      expect(i18n.t(label, { client: 'App', name: 'Key' }).toLowerCase()).toContain(i18n.t(button).toLowerCase());
    }
  });
});
