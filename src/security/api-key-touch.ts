import type { ApiKeyRecord, ApiKeyStore } from '../stores/api-keys.ts';

export type TouchErrorReporter = (err: unknown, context: { op: 'touch'; keyId: string }) => void;

/** Above this many remembered keys, entries older than one interval are dropped. */
const PRUNE_AT = 10_000;

/**
 * `lastUsedAt` without a store write on every request (issue "Management plane"): a key
 * is written at most once per `intervalMs` by this process, and not at all while the
 * stored value (possibly written by another node) is younger than that. The write is
 * fire-and-forget: verification sits on the introspection hot path and never waits for
 * it, and a failed write is reported, not thrown — "last used" is informational, losing
 * one update costs at most one interval of precision.
 */
export function createTouchCoalescer(
  store: Pick<ApiKeyStore, 'touch'>,
  intervalMs: number,
  onError?: TouchErrorReporter,
): (record: ApiKeyRecord, at: Date) => void {
  if (!Number.isFinite(intervalMs) || intervalMs < 0) throw new TypeError('touchIntervalMs must be a non-negative number');
  const lastWrite = new Map<string, number>();

  const prune = (t: number) => {
    for (const [id, written] of lastWrite) if (t - written >= intervalMs) lastWrite.delete(id);
  };

  return (record, at) => {
    const t = at.getTime();
    const previous = Math.max(lastWrite.get(record.id) ?? -Infinity, record.lastUsedAt?.getTime() ?? -Infinity);
    if (t - previous < intervalMs) return;
    if (lastWrite.size >= PRUNE_AT) prune(t);
    // Marked before the write starts, so concurrent verifications of one key write once.
    lastWrite.set(record.id, t);
    const report = (err: unknown) => {
      try {
        onError?.(err, { op: 'touch', keyId: record.id });
      } catch {
        // A failing reporter must not turn into an unhandled rejection either.
      }
    };
    try {
      store.touch(record.id, at).catch(report);
    } catch (err) {
      report(err); // a store that throws synchronously
    }
  };
}
