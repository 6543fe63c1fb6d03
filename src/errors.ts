/**
 * The one error type of Gatehouse's own endpoints: a status, a stable machine code,
 * whether its message may reach the client, and optional details. It becomes a
 * response in exactly one place (src/http/error-handler.ts).
 */
export class GatehouseError extends Error {
  readonly status: number;
  readonly code: string;
  readonly expose: boolean;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(status: number, code: string, description: string, details?: Record<string, unknown>) {
    super(description);
    this.name = 'GatehouseError';
    this.status = status;
    this.code = code;
    this.expose = status < 500;
    this.details = details;
  }
}

export const badRequest = (description: string, details?: Record<string, unknown>) =>
  new GatehouseError(400, 'invalid_request', description, details);
export const notFound = (description = 'not found') => new GatehouseError(404, 'not_found', description);
