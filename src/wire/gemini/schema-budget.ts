import { routerError } from "../../ir";
import { isObject, reject, type Json } from "../read";

/**
 * Inlining $refs can grow a schema exponentially (A uses B twice, B uses C twice…), and a small
 * request with many such tools once became a 29.5 MB upstream body after 1.8 s of CPU. One budget
 * covers all the schemas of a request (every tool and the response schema): ten times what large
 * real tool sets need (a few thousand nodes, a few hundred KB), and under 0.1 s of work.
 */
export const MAX_SCHEMA_NODES = 50_000;
const MAX_SCHEMA_BYTES = 4 * 1024 * 1024;

/** What the schemas of one request may still cost: nodes built and an estimate of their JSON size. */
export class SchemaBudget {
  nodes = MAX_SCHEMA_NODES;
  bytes = MAX_SCHEMA_BYTES;
}

/** A schema this conversion refuses: past the request's budget, or a $ref that is no JSON pointer. */
export class SchemaError extends Error {}

/** A schema refused by the conversion is the client's 400, naming where it is. */
export function schemaOf<T>(where: string, convert: () => T): T {
  try {
    return convert();
  } catch (e) {
    if (e instanceof SchemaError) reject(routerError("invalid_request", `${where}: ${e.message}`));
    throw e;
  }
}

/** A node's share of the output estimate, beyond the strings and values it copies. */
export const NODE_BYTES = 16;

export function chargeNode(budget: SchemaBudget): void {
  if (--budget.nodes < 0)
    throw new SchemaError(
      `more than ${MAX_SCHEMA_NODES} schema nodes with $refs inlined (all schemas of the request together)`,
    );
}

export function charge(budget: SchemaBudget, bytes: number): void {
  budget.bytes -= bytes;
  if (budget.bytes < 0)
    throw new SchemaError(
      `more than ${MAX_SCHEMA_BYTES / 1024 / 1024} MiB of schemas with $refs inlined (all schemas of the request together)`,
    );
}

/**
 * Roughly the JSON length of `v`, counted without recursion (values can nest deeper than the
 * stack) and given up once past `limit`.
 */
function jsonSize(v: unknown, limit: number): number {
  let size = 0;
  const stack: unknown[] = [v];
  while (stack.length > 0 && size <= limit) {
    const x = stack.pop();
    if (typeof x === "string") size += x.length + 3;
    else if (Array.isArray(x)) {
      size += 2 + x.length;
      for (const y of x) stack.push(y);
    } else if (isObject(x)) {
      size += 2;
      for (const [k, y] of Object.entries(x)) {
        size += k.length + 4;
        stack.push(y);
      }
    } else size += 8;
  }
  return size;
}

/** What convertPlain will copy out of `node`, charged before any of it is built. */
export function chargeCopies(node: Json, budget: SchemaBudget): void {
  let bytes = NODE_BYTES;
  const copied = [
    node.title,
    node.description,
    node.pattern,
    node.format,
    node.default,
    node.example,
    node.propertyOrdering,
    node.enum,
    node.const,
    node.required,
  ];
  for (const v of copied) if (v !== undefined) bytes += jsonSize(v, budget.bytes - bytes);
  if (isObject(node.properties))
    for (const name of Object.keys(node.properties)) bytes += name.length + 4;
  charge(budget, bytes);
}
