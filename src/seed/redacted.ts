import { inspect } from 'node:util';

/**
 * A plain-text secret read from a seed (password, client secret) until it is hashed.
 * Logging, JSON-serialising or string-interpolating a parsed seed shows "[REDACTED]";
 * only `reveal()` gives the value, so every use of it is explicit and greppable.
 */
export class Redacted {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[REDACTED]';
  }

  toJSON(): string {
    return '[REDACTED]';
  }

  [inspect.custom](): string {
    return '[REDACTED]';
  }
}
