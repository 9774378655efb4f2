/**
 * What a task receives and returns: JSON values only, so a task's output can be recorded in the state store
 * and handed to a later process (a resumed run, a worker on another machine) exactly as the first process saw
 * it.
 */
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * Where `value` stops being plain JSON (a Date, a bigint, a Map, a class instance, NaN, a function), as a path
 * such as `output.files[2].at is a Date`; undefined when it round-trips through JSON unchanged. Object
 * properties that are undefined are fine (JSON drops them, and reading them back gives undefined again).
 */
export function describeNonJson(value: unknown, path = 'output'): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${path} is ${value}`;
  if (value === undefined) return `${path} is undefined`;
  if (typeof value !== 'object') return `${path} is a ${typeof value}`;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const problem = describeNonJson(item, `${path}[${index}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    return `${path} is a ${(value as object).constructor?.name ?? 'class instance'}`;
  }
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    const problem = describeNonJson(item, `${path}.${key}`);
    if (problem) return problem;
  }
  return undefined;
}
