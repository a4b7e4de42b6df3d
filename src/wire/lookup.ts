/**
 * A table lookup by a string that came from outside (a client body, an upstream answer). Plain
 * `TABLE[key]` also finds Object.prototype's members: "constructor", "__proto__" or "toString"
 * as a finish reason or an effort would come back as a function.
 */
export function own<T>(
  table: Readonly<Record<string, T>>,
  key: string | number | undefined,
): T | undefined {
  return key !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;
}

/**
 * A write by a key that came from outside. Plain `obj[key] = value` with key "__proto__" sets
 * the object's prototype instead: the entry vanishes and the object inherits the client's value.
 */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
