/** Seed import: a JSON file of accounts and clients, validated, then upserted idempotently. */
export { SeedError, type SeedIssue } from './errors.ts';
export { importSeed, type SeedClientMetadata, type SeedDeps, type SeedSummary } from './import.ts';
export { parseSeed, parseSeedText, validateSeed, type LoadedSeed, type ParseSeedOptions } from './parse.ts';
export { Redacted } from './redacted.ts';
export type { Seed, SeedAccount, SeedClient, SeedResourceServer } from './schema.ts';
