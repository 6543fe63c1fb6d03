/** A small client for the admin API: base URL, credential, JSON in and out. */
export interface AdminClientOptions {
  url: string;
  apiKey: string;
}

export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

export async function callAdmin(options: AdminClientOptions, method: string, path: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${options.url.replace(/\/$/, '')}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${options.apiKey}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new CliError(`cannot reach ${options.url}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    throw new CliError(`${method} ${path}: HTTP ${res.status} with a body that is not JSON`);
  }
  if (!res.ok) {
    const error = json as { error?: string; error_description?: string; fields?: Array<{ path: string; message: string }> } | undefined;
    const fields = error?.fields?.map((f) => `${f.path}: ${f.message}`).join('; ');
    throw new CliError(`${error?.error ?? `HTTP ${res.status}`}: ${fields ?? error?.error_description ?? res.statusText}`);
  }
  return json;
}
