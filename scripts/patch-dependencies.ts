import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Gatehouse's patches to its dependencies, applied by `npm ci` / `npm install`
 * (package.json "postinstall"). Each one changes how much garbage a request leaves for the
 * old generation, never what the code does; src/dependency-patches.ts checks at start that
 * they are in place and says so when they are not.
 *
 * Why they exist: both libraries give an object that lives for one request (or one turn
 * of the event loop) an accessor of its own, `Object.defineProperty(obj, name, { get:
 * closure })`. V8 keeps such an accessor pair in the old generation, where the minor
 * collector treats it as a root: the getter closure, and through it the whole request
 * (Koa context, headers, Redis commands, promises), survives every scavenge until the
 * next full collection. Under load that promoted about 12 KB per request, made each
 * scavenge take 3–4 ms instead of 1–2 ms and brought a full collection every second
 * (README.md, Performance: "Dependency patches"). The same getter on the prototype reads
 * the state from `this` and costs nothing per object.
 *
 * Each patch names the exact version it was written against. A different version stops
 * the install with a message, so that an upgrade re-examines the patch (drop it if the
 * library no longer does this) instead of silently skipping it.
 */
export interface DependencyPatch {
  /** The package under node_modules. */
  readonly name: string;
  /** The version the patch was written against (package.json "version"). */
  readonly version: string;
  /** The file inside the package. */
  readonly file: string;
  /** Text that must occur exactly once in the pristine file... */
  readonly before: string;
  /** ...and what replaces it. Its presence means the patch is already applied. */
  readonly after: string;
}

export const PATCHES: readonly DependencyPatch[] = [
  {
    // Each route's first middleware gave every Koa context its own `oidc` getter.
    name: 'oidc-provider',
    version: '9.13.3',
    file: 'lib/helpers/initialize_app.js',
    before: `  const ensureOIDC = async (ctx, next) => {
    let oidcCtx;
    Object.defineProperty(ctx, 'oidc', {
      get: () => {
        oidcCtx ||= new this.OIDCContext(ctx);
        return oidcCtx;
      },
    });
    return als.run(ctx, () => next());
  };`,
    after: `  // Patched by Gatehouse (scripts/patch-dependencies.ts): one getter on the context
  // prototype instead of one per request, undefined outside the provider's routes as before.
  const provider = this;
  const onRoute = Symbol('oidc route');
  const oidcContext = Symbol('oidc context');
  Object.defineProperty(this.context, 'oidc', {
    configurable: true,
    get() {
      if (this[onRoute] !== true) return undefined;
      this[oidcContext] ||= new provider.OIDCContext(this);
      return this[oidcContext];
    },
  });
  const ensureOIDC = async (ctx, next) => {
    ctx[onRoute] = true;
    return als.run(ctx, () => next());
  };`,
  },
  {
    // Every pipeline (with enableAutoPipelining, one per turn of the event loop) had its
    // own `length` getter.
    name: 'ioredis',
    version: '5.11.1',
    file: 'built/Pipeline.js',
    before: `        const _this = this;
        Object.defineProperty(this, "length", {
            get: function () {
                return _this._queue.length;
            },
        });
    }`,
    after: `        // Patched by Gatehouse (scripts/patch-dependencies.ts): \`length\` is a getter on
        // the prototype (below) instead of one per pipeline.
    }
    get length() {
        return this._queue.length;
    }`,
  },
];

export type PatchOutcome = 'applied' | 'already applied';

export class PatchError extends Error {}

/** Applies one patch under `nodeModules`; throws a PatchError that says what to do. */
export function applyPatch(nodeModules: string, patch: DependencyPatch): PatchOutcome {
  const dir = join(nodeModules, patch.name);
  let version: unknown;
  try {
    version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown }).version;
  } catch {
    throw new PatchError(`${patch.name} is not installed under ${nodeModules}`);
  }
  if (version !== patch.version) {
    throw new PatchError(
      `${patch.name} is ${String(version)}, but its patch was written for ${patch.version}: `
      + 'check whether the new version still needs it, then update or remove it in scripts/patch-dependencies.ts',
    );
  }
  const path = join(dir, patch.file);
  const source = readFileSync(path, 'utf8');
  if (source.includes(patch.after)) return 'already applied';
  const at = source.indexOf(patch.before);
  if (at === -1 || source.indexOf(patch.before, at + 1) !== -1) {
    throw new PatchError(`${patch.name}/${patch.file} does not contain the patched text exactly once: has it been edited?`);
  }
  writeFileSync(path, source.slice(0, at) + patch.after + source.slice(at + patch.before.length));
  return 'applied';
}

if (import.meta.main) {
  const nodeModules = fileURLToPath(new URL('../node_modules', import.meta.url));
  try {
    for (const patch of PATCHES) {
      process.stdout.write(`gatehouse: ${patch.name}@${patch.version} ${patch.file}: ${applyPatch(nodeModules, patch)}\n`);
    }
  } catch (err) {
    if (!(err instanceof PatchError)) throw err;
    process.stderr.write(`gatehouse: dependency patch failed: ${err.message}\n`);
    process.exit(1);
  }
}
