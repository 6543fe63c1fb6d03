import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { contrast, createTheme, parseTheme, themeColours } from '../../src/interactions/theme.ts';

describe('theme settings', () => {
  test('defaults without settings', () => {
    expect(loadConfig({}).theme).toEqual({ name: 'Gatehouse', logoUrl: undefined, primaryColor: '#1f5fbf' });
  });

  test('each setting is read and checked', () => {
    expect(loadConfig({
      GATEHOUSE_THEME_NAME: 'Acme ID', GATEHOUSE_THEME_LOGO_URL: '/brand/logo.svg', GATEHOUSE_THEME_PRIMARY_COLOR: '#0A7D32',
    }).theme).toEqual({ name: 'Acme ID', logoUrl: '/brand/logo.svg', primaryColor: '#0a7d32' });
  });

  test.each([
    ['GATEHOUSE_THEME_PRIMARY_COLOR', '#fff', 'GATEHOUSE_THEME_PRIMARY_COLOR must be a colour written #rrggbb (got "#fff")'],
    ['GATEHOUSE_THEME_PRIMARY_COLOR', 'red', 'GATEHOUSE_THEME_PRIMARY_COLOR must be a colour written #rrggbb (got "red")'],
    ['GATEHOUSE_THEME_LOGO_URL', 'http://cdn.example/logo.png', 'GATEHOUSE_THEME_LOGO_URL must be an https URL or a path starting with "/"'],
    ['GATEHOUSE_THEME_LOGO_URL', '//cdn.example/logo.png', 'GATEHOUSE_THEME_LOGO_URL must be an https URL'],
    ['GATEHOUSE_THEME_LOGO_URL', "https://cdn.example/a'; script-src *", 'GATEHOUSE_THEME_LOGO_URL must be an https URL'],
    ['GATEHOUSE_THEME_LOGO_URL', 'javascript:alert(1)', 'GATEHOUSE_THEME_LOGO_URL must be an https URL'],
    ['GATEHOUSE_THEME_NAME', 'x'.repeat(61), 'GATEHOUSE_THEME_NAME must be at most 60 characters'],
  ])('%s=%s is refused, naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });
});

describe('theme colours (WCAG 2.1 contrast)', () => {
  test('contrast ratios', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#ffffff', '#ffffff')).toBeCloseTo(1, 5);
    expect(contrast('#1f5fbf', '#ffffff')).toBeGreaterThan(4.5);
  });

  test.each(['#1f5fbf', '#ffcc00', '#777777', '#ffffff', '#00ff00', '#000000', '#e91e63'])('%s: button text and link text reach 4.5:1', (primary) => {
    const colours = themeColours(primary);
    expect(contrast(colours.onPrimary, primary)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(colours.primaryText, '#ffffff')).toBeGreaterThanOrEqual(4.5);
  });

  test('a dark enough colour is used for text unchanged', () => {
    expect(themeColours('#1f5fbf')).toEqual({ primary: '#1f5fbf', onPrimary: '#ffffff', primaryText: '#1f5fbf' });
  });

  test('the stylesheet URL changes with the colours; an https logo names its origin for the CSP', () => {
    const a = createTheme(parseTheme({ primaryColor: '#1f5fbf', logoUrl: 'https://cdn.example:8443/x/logo.svg' }));
    const b = createTheme(parseTheme({ primaryColor: '#0a7d32' }));
    expect(a.stylesheetHref).not.toBe(b.stylesheetHref);
    expect(a.imageOrigin).toBe('https://cdn.example:8443');
    expect(b.imageOrigin).toBeUndefined();
    expect(createTheme(parseTheme({ logoUrl: '/logo.svg' })).imageOrigin).toBeUndefined();
  });
});
