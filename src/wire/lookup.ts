/**
 * A table lookup by a string that came from outside (a client body, an upstream answer). Plain
 * `TABLE[key]` also finds Object.prototype's members: "constructor", "__proto__" or "toString"
 * as a finish reason or an effort would come back as a function.
 */
export function own<T>(table: Readonly<Record<string, T>>, key: string | number | undefined): T | undefined {
  return key !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;
}
