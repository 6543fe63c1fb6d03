import { Pipeline } from 'ioredis';

/**
 * Whether scripts/patch-dependencies.ts (npm's postinstall) has run: an install with
 * `--ignore-scripts` skips it. Gatehouse works the same either way, but without the patches
 * every request leaves its objects to the old generation (more and longer pauses for garbage
 * collection), so the start banner says so. Checked by what the patches do, not by reading
 * files: both getters live on a prototype instead of on each object.
 */
export function unpatchedDependencies(
  providerContext: object,
  pipelinePrototype: object = Pipeline.prototype,
): string[] {
  const hasGetter = (target: object, name: string) => typeof Object.getOwnPropertyDescriptor(target, name)?.get === 'function';
  const missing: string[] = [];
  if (!hasGetter(providerContext, 'oidc')) missing.push('oidc-provider');
  if (!hasGetter(pipelinePrototype, 'length')) missing.push('ioredis');
  return missing;
}
