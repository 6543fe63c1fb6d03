/** Seed import: a JSON file of accounts, organizations, clients, resource servers and API keys, validated, then upserted idempotently. */
export { SeedError, type SeedIssue } from './errors.ts';
export { importSeed, type ImportOptions, type SeedClientMetadata, type SeedDeps, type SeedSummary } from './import.ts';
export { parseSeed, parseSeedText, validateSeed, type LoadedSeed, type ParseSeedOptions } from './parse.ts';
export { Redacted } from './redacted.ts';
export type { Seed, SeedAccount, SeedApiKey, SeedClient, SeedOrganization, SeedResourceServer } from './schema.ts';
