/**
 * Where and why `JSON.parse` rejected a text, as `{ line, column, reason }`.
 *
 * V8's own messages are not used: some quote the input ("Unexpected token 'x', "{"client_
 * secret": …" is not valid JSON"), which would put a secret from a seed file into logs,
 * and some carry no position at all. This is a small RFC 8259 recogniser that stops at
 * the first error; it runs only after JSON.parse has already failed.
 */
export interface JsonErrorLocation {
  position: number;
  line: number;
  column: number;
  reason: string;
}

class Stop {
  readonly at: number;
  readonly reason: string;
  constructor(at: number, reason: string) {
    this.at = at;
    this.reason = reason;
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export function locateJsonError(text: string): JsonErrorLocation | undefined {
  let i = 0;
  const at = (reason: string): never => {
    throw new Stop(i, i >= text.length ? 'unexpected end of input' : reason);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const expect = (ch: string, what: string) => {
    ws();
    if (text[i] !== ch) at(`expected ${what}`);
    i++;
  };

  const string = () => {
    i++; // opening quote
    while (i < text.length) {
      const ch = text[i]!;
      if (ch === '"') return void i++;
      if (ch < ' ') at('control character in string (escape it, RFC 8259 §7)');
      if (ch === '\\') {
        const esc = text[i + 1] ?? '';
        if ('"\\/bfnrt'.includes(esc) && esc !== '') i += 2;
        else if (esc === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else at('invalid escape in string');
      } else i++;
    }
    at('unterminated string');
  };

  const members = (close: string, member: () => void, what: string) => {
    i++; // opening bracket
    ws();
    if (text[i] === close) return void i++;
    for (;;) {
      member();
      ws();
      if (text[i] === close) return void i++;
      if (text[i] !== ',') at(`expected ',' or '${close}' after ${what}`);
      i++;
    }
  };

  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === '{') {
      return members('}', () => {
        ws();
        if (text[i] !== '"') at('expected a double-quoted property name');
        string();
        expect(':', "':' after property name");
        value();
      }, 'property value');
    }
    if (ch === '[') return members(']', value, 'array element');
    if (ch === '"') return string();
    NUMBER.lastIndex = i;
    if (NUMBER.test(text)) return void (i = NUMBER.lastIndex);
    for (const literal of ['true', 'false', 'null']) if (text.startsWith(literal, i)) return void (i += literal.length);
    at('expected a value');
  };

  try {
    value();
    ws();
    if (i < text.length) at('unexpected text after the JSON value');
    return undefined;
  } catch (err) {
    if (!(err instanceof Stop)) return undefined; // e.g. absurd nesting: no position
    const before = text.slice(0, err.at).split('\n');
    return { position: err.at, line: before.length, column: (before.at(-1)?.length ?? 0) + 1, reason: err.reason };
  }
}
