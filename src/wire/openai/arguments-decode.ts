import type { Warnings } from "../../ir/warning";
import { isObject, type Json } from "../read";

/**
 * OpenAI sends tool arguments as a JSON string; Anthropic `input` and Gemini `args` must be
 * objects. The usual breakage is truncation (finish_reason "length"), so the repair only closes
 * what was left open; anything else becomes `{}` with a warning rather than a failed request.
 */
export function decodeArguments(text: string, what: string, warnings: Warnings): Json {
  if (text.trim() === "") return {};
  const direct = parseObject(text);
  if (direct) return direct;
  for (const candidate of repairs(text)) {
    const fixed = parseObject(candidate);
    if (fixed) {
      warnings.add(
        "approximated",
        what,
        "tool-call arguments were truncated JSON; closed the open brackets",
      );
      return fixed;
    }
  }
  warnings.add("dropped", what, "tool-call arguments were not a JSON object; used {}");
  return {};
}

function parseObject(text: string): Json | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
    // Some models double-encode: the arguments string holds a JSON string of the object.
    if (typeof v === "string") v = JSON.parse(v);
  } catch {
    return undefined;
  }
  return isObject(v) ? v : undefined;
}

function repairs(text: string): string[] {
  const closers: string[] = [];
  let inString = false;
  let escaped = false;
  for (const ch of text) {
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === "\\") escaped = true;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "{") closers.push("}");
    else if (ch === "[") closers.push("]");
    else if (ch === "}" || ch === "]") closers.pop();
  }
  let body = escaped ? text.slice(0, -1) : text;
  if (inString) body += '"';
  body = body.trimEnd();
  const tail = closers.reverse().join("");
  const out: string[] = [];
  const close = (s: string) => out.push(s.replace(/,\s*$/, "").replace(/:\s*$/, ": null") + tail);
  close(body);
  // A member cut off in its key or in a bare literal (`{"a":1,"b"`, `{"a":tr`) cannot be completed; drop it.
  const withoutKey = body.replace(
    /([{,])\s*"(?:[^"\\]|\\.)*"\s*(?::\s*[^\s,{}[\]"][^,{}[\]"]*)?$/,
    "$1",
  );
  if (withoutKey !== body) close(withoutKey);
  return out;
}
