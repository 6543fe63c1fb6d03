import { locateJsonError } from '../../../src/seed/json-error.ts';

describe('locateJsonError', () => {
  test.each([
    ['{"a": abc}', 1, 7, 'expected a value'],
    ['{"a":1,}', 1, 8, 'expected a double-quoted property name'],
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, "expected ',' or '}' after property value"],
    ['[1, 2', 1, 6, 'unexpected end of input'],
    ['{"a": "x\ty"}', 1, 9, 'control character in string (escape it, RFC 8259 §7)'],
    ['{"a": "\\q"}', 1, 8, 'invalid escape in string'],
    ['{} x', 1, 4, 'unexpected text after the JSON value'],
    ['{"a" 1}', 1, 6, "expected ':' after property name"],
    ['', 1, 1, 'unexpected end of input'],
  ])('%j → line %i column %i: %s', (text, line, column, reason) => {
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(locateJsonError(text)).toMatchObject({ line, column, reason });
  });

  test('answers undefined for valid JSON', () => {
    for (const text of ['{}', '[]', '"x"', '-1.5e3', 'true', 'null', '{"a":[1,{"b":"\\u00e9\\n"}]}']) {
      expect(locateJsonError(text)).toBeUndefined();
    }
  });
});
