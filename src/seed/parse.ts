import { readFile } from 'node:fs/promises';
import { locate, SeedError } from './errors.ts';
import { locateJsonError } from './json-error.ts';
import { seedErrorMap, seedSchema, type Seed } from './schema.ts';
import { substituteVars } from './vars.ts';

export interface ParseSeedOptions {
  /** Values for `${NAME}` placeholders, e.g. `{ ISSUER: 'http://localhost:3000' }`. */
  vars?: Readonly<Record<string, string>>;
}

/** A validated seed and where it came from (for error messages during import). */
export type LoadedSeed = Seed & { readonly source: string };

/** Reads, substitutes and validates a seed file. Throws SeedError naming file, entry and field. */
export async function parseSeed(path: string, options: ParseSeedOptions = {}): Promise<LoadedSeed> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new SeedError(path, [{ entry: undefined, field: undefined, message: `cannot be read (${code})` }]);
  }
  return parseSeedText(text, path, options);
}

/** As parseSeed, for a seed held in memory; `source` names it in messages. */
export function parseSeedText(text: string, source: string, options: ParseSeedOptions = {}): LoadedSeed {
  const body = text.replace(/^\uFEFF/, ''); // RFC 8259 §8.1: tolerate, do not require, a BOM
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    // Not V8's message: it can quote the file's content, secrets included.
    const where = locateJsonError(body);
    const message = where
      ? `not valid JSON at line ${where.line} column ${where.column} (position ${where.position}): ${where.reason}`
      : 'not valid JSON';
    throw new SeedError(source, [{ entry: undefined, field: undefined, message }]);
  }
  return validateSeed(data, source, options);
}

/** Validates already-parsed seed data. */
export function validateSeed(data: unknown, source: string, options: ParseSeedOptions = {}): LoadedSeed {
  const { value, problems } = substituteVars(data, options.vars ?? {});
  if (problems.length > 0) throw new SeedError(source, problems.map((p) => locate(p.path, value, p.message)));

  const result = seedSchema.safeParse(value, { error: seedErrorMap });
  if (!result.success) {
    throw new SeedError(source, result.error.issues.map((issue) => locate(issue.path, value, issue.message)));
  }
  return { ...result.data, source };
}
