/**
 * `${NAME}` placeholders in a seed's string values are replaced from `vars` before
 * validation (so `"${ISSUER}/demo/callback"` is checked as the URL it becomes). This
 * lets one seed file follow the configured ISSUER / PORT. Values are inserted verbatim.
 */
const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export interface VarProblem {
  path: (string | number)[];
  message: string;
}

export function substituteVars(
  data: unknown,
  vars: Readonly<Record<string, string>>,
): { value: unknown; problems: VarProblem[] } {
  const problems: VarProblem[] = [];
  const known = Object.keys(vars);

  const walk = (node: unknown, path: (string | number)[]): unknown => {
    if (typeof node === 'string') {
      return node.replace(PLACEHOLDER, (whole, name: string) => {
        const value = Object.hasOwn(vars, name) ? vars[name] : undefined;
        if (value !== undefined) return value;
        problems.push({
          path,
          message: `uses \${${name}}, which has no value (known: ${known.length ? known.join(', ') : 'none'})`,
        });
        return whole;
      });
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]));
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, k === '$comment' ? v : walk(v, [...path, k])]));
    }
    return node;
  };

  return { value: walk(data, []), problems };
}
