import { ADMIN_RESOURCES } from '../admin/scopes.ts';
import type { Translator } from './index.ts';

const ADMIN_SCOPE = /^admin:([a-z-]+):(read|write)$/;
const RESOURCES: ReadonlySet<string> = new Set(ADMIN_RESOURCES);

/**
 * What a scope lets an app (or an API key) do, in the page's language: the catalogue's
 * `scope.<name>` when it has one, a sentence made from the resource and the access for an
 * admin API scope (`admin:<resource>:<read|write>`), else a generic one naming the scope.
 */
export function describeScope(i18n: Pick<Translator, 't' | 'has'>, scope: string): string {
  if (i18n.has(`scope.${scope}`)) return i18n.t(`scope.${scope}`);
  const admin = ADMIN_SCOPE.exec(scope);
  if (admin && RESOURCES.has(admin[1]!)) {
    return i18n.t(admin[2] === 'read' ? 'scope.admin.read' : 'scope.admin.write', { resource: i18n.t(`resource.${admin[1]}`) });
  }
  return i18n.t('scope.other', { scope });
}
