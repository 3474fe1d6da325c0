/**
 * Keras' Python configs spell arguments in snake_case (`use_bias`,
 * `kernel_size`, `input_shape`); layers accept those as well as the camelCase
 * names of their TypeScript interfaces, so a config copied from Keras works.
 */
export function camelCaseKeys<T>(args: T): T {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) return args;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) out[k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())] = v;
  return out as T;
}
