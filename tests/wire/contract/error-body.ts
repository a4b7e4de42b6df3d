import { expect } from "bun:test";
import { routerError, type RouterError } from "../../../src/ir";
import type { Format } from "../../../src/wire";

/** A message no real error carries, to find where a format's error body puts the message. */
const MARK = "\u0001contract-message\u0001";

type Path = (string | number)[];

function pathTo(value: unknown, path: Path = []): Path | undefined {
  if (value === MARK) return path;
  if (typeof value !== "object" || value === null) return undefined;
  for (const [k, v] of Object.entries(value)) {
    const found = pathTo(v, [...path, Array.isArray(value) ? Number(k) : k]);
    if (found) return found;
  }
  return undefined;
}

const at = (value: unknown, path: Path): unknown =>
  path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], value);

/** An error like `err` (its code, status and subtype) with another message. */
const saying = (err: RouterError, message: string) =>
  routerError(err.code, message, { status: err.status, subtype: err.subtype });

/**
 * Asserts `body` is exactly the format's error body for an error like `like` (`errorBody`),
 * whatever the message, and returns the message, for the test to check what it names.
 */
export function expectErrorBody(format: Format, body: unknown, like: RouterError): string {
  const path = pathTo(format.errorBody(saying(like, MARK)));
  if (!path) throw new Error(`${format.id}.errorBody puts the message nowhere`);
  const message = at(body, path);
  expect(typeof message).toBe("string");
  expect(body).toEqual(format.errorBody(saying(like, message as string)));
  return message as string;
}

/** The same for an HTTP answer, which must also have the status and be JSON. */
export async function expectErrorAnswer(
  format: Format,
  res: Response,
  like: RouterError,
  status: number,
): Promise<string> {
  const text = await res.text();
  // The body is shown with a wrong status: it usually says why.
  expect({ status: res.status, text }).toEqual({ status, text });
  expect(res.headers.get("content-type")).toContain("application/json");
  return expectErrorBody(format, JSON.parse(text), like);
}
