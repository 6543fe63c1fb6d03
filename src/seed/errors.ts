/** One problem in a seed, located as precisely as we can. */
export interface SeedIssue {
  /** e.g. `clients[1] (client_id "web")`; undefined for the top level. */
  entry: string | undefined;
  /** e.g. `redirect_uris[0]`; undefined when the problem is the entry as a whole. */
  field: string | undefined;
  message: string;
}

/**
 * A seed file that cannot be used. The message names the file, the entry and the field,
 * and never contains a password or client secret (messages describe the expectation,
 * not the value).
 */
export class SeedError extends Error {
  readonly file: string;
  readonly issues: readonly SeedIssue[];

  constructor(file: string, issues: readonly SeedIssue[]) {
    const lines = issues.map((i) => [i.entry, i.field, i.message].filter((part) => part !== undefined).join(': '));
    super(lines.length === 1 ? `${file}: ${lines[0]}` : `${file}: ${lines.length} problems:\n${lines.map((l) => `  - ${l}`).join('\n')}`);
    this.name = 'SeedError';
    this.file = file;
    this.issues = issues;
  }
}

type Path = readonly PropertyKey[];

/** `['jwks', 'keys', 0]` → `jwks.keys[0]` */
export function formatPath(path: Path): string | undefined {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else {
      const name = String(key);
      out += /^[$A-Za-z_][$\w]*$/.test(name) ? (out ? `.${name}` : name) : `[${JSON.stringify(name)}]`;
    }
  }
  return out || undefined;
}

// Never a secret: API keys are labelled by their name, not by the key.
const LABELS: Record<string, string> = {
  clients: 'client_id', accounts: 'email', resource_servers: 'identifier', organizations: 'slug', api_keys: 'name',
};

/**
 * Splits a path into the seed entry it belongs to and the field inside it. The entry is
 * labelled with its identifier read from the raw data (client_id / email: not secrets).
 */
export function locate(path: Path, raw: unknown, message: string): SeedIssue {
  const [list, index, ...rest] = path;
  const labelField = typeof list === 'string' ? LABELS[list] : undefined;
  if (labelField === undefined || typeof index !== 'number') return { entry: undefined, field: formatPath(path), message };

  const item = (raw as Record<string, unknown[] | undefined> | null)?.[list as string]?.[index];
  const id = item !== null && typeof item === 'object' ? (item as Record<string, unknown>)[labelField] : undefined;
  const label = typeof id === 'string' ? ` (${labelField} ${JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id)})` : '';
  return { entry: `${String(list)}[${index}]${label}`, field: formatPath(rest), message };
}
