// Content-block validation for the Messages API. Paths and wording follow the API's pydantic
// style ("messages.0.content.1.text: ...") so error mapping is tested against realistic text.
import { Invalid, isObject } from "../util.ts";

export const fail = (message: string, status = 400): never => {
  throw new Invalid(message, { type: "invalid_request_error" }, status);
};

const TAGS = [
  "text",
  "image",
  "document",
  "search_result",
  "tool_use",
  "tool_result",
  "thinking",
  "redacted_thinking",
];
const IMAGE_MIME = ["image/jpeg", "image/png", "image/gif", "image/webp"];
const ID_RE = /^[a-zA-Z0-9_-]+$/;

export const tagList = (tags: string[]) => tags.map((t) => `'${t}'`).join(", ");

export function keys(obj: Record<string, unknown>, allowed: string[], path: string): void {
  for (const k of Object.keys(obj))
    if (!allowed.includes(k)) fail(`${path}.${k}: Extra inputs are not permitted`);
}

export function str(v: unknown, path: string): string {
  if (v === undefined) fail(`${path}: Field required`);
  if (typeof v !== "string") fail(`${path}: Input should be a valid string`);
  return v as string;
}

export function obj(v: unknown, path: string): Record<string, any> {
  if (v === undefined) fail(`${path}: Field required`);
  if (!isObject(v))
    fail(`${path}: Input should be a valid dictionary or object to extract fields from`);
  return v as Record<string, any>;
}

/** The API reports empty text under the container name only ("messages: ..."). */
export function nonEmptyText(text: string, container: string): void {
  if (text === "") fail(`${container}: text content blocks must be non-empty`);
  if (!/\S/.test(text)) fail(`${container}: text content blocks must contain non-whitespace text`);
}

function cacheControl(b: Record<string, any>, path: string): void {
  if (b.cache_control === undefined || b.cache_control === null) return;
  const cc = obj(b.cache_control, `${path}.cache_control`);
  if (cc.type !== "ephemeral") fail(`${path}.cache_control.type: Input should be 'ephemeral'`);
  if (cc.ttl !== undefined && cc.ttl !== "5m" && cc.ttl !== "1h")
    fail(`${path}.cache_control.ttl: Input should be '5m' or '1h'`);
}

function source(b: Record<string, any>, path: string, kind: "image" | "document"): void {
  const s = obj(b.source, `${path}.source`);
  const tags =
    kind === "image" ? ["base64", "url", "file"] : ["base64", "text", "url", "content", "file"];
  if (!tags.includes(s.type))
    fail(
      `${path}.source: Input tag '${s.type}' found using 'type' does not match any of the expected tags: ${tagList(tags)}`,
    );
  const sp = `${path}.source.${s.type}`;
  if (s.type === "base64") {
    keys(s, ["type", "media_type", "data"], sp);
    if (kind === "image" && !IMAGE_MIME.includes(s.media_type))
      fail(
        `${sp}.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`,
      );
    if (kind === "document" && s.media_type !== "application/pdf")
      fail(`${sp}.media_type: Input should be 'application/pdf'`);
    str(s.data, `${sp}.data`);
  } else if (s.type === "text") {
    keys(s, ["type", "media_type", "data"], sp);
    if (s.media_type !== "text/plain") fail(`${sp}.media_type: Input should be 'text/plain'`);
    str(s.data, `${sp}.data`);
  } else if (s.type === "url") {
    keys(s, ["type", "url"], sp);
    str(s.url, `${sp}.url`);
  } else if (s.type === "file") {
    keys(s, ["type", "file_id"], sp);
    str(s.file_id, `${sp}.file_id`);
  } else if (!Array.isArray(s.content) && typeof s.content !== "string")
    fail(`${sp}.content: Input should be a valid list`);
}

export interface BlockState {
  signatures: Map<string, string>;
  toolUseIds: Set<string>;
}

/** Validates one block of a message; `role` decides which block types may appear. */
export function block(b: unknown, role: string, path: string, st: BlockState): Record<string, any> {
  const blk = obj(b, path);
  if (!TAGS.includes(blk.type))
    fail(
      `${path}: Input tag '${blk.type}' found using 'type' does not match any of the expected tags: ${tagList(TAGS)}`,
    );
  const tp = `${path}.${blk.type}`;
  const onlyIn = (r: string) => {
    if (role !== r) fail(`${path}: \`${blk.type}\` blocks can only be used in \`${r}\` messages`);
  };
  switch (blk.type) {
    case "text":
      keys(blk, ["type", "text", "cache_control", "citations"], tp);
      nonEmptyText(str(blk.text, `${tp}.text`), "messages");
      break;
    case "image":
    case "document":
      onlyIn("user");
      keys(
        blk,
        blk.type === "image"
          ? ["type", "source", "cache_control"]
          : ["type", "source", "title", "context", "citations", "cache_control"],
        tp,
      );
      source(blk, tp, blk.type);
      break;
    case "search_result":
      keys(blk, ["type", "source", "title", "content", "citations", "cache_control"], tp);
      str(blk.source, `${tp}.source`);
      str(blk.title, `${tp}.title`);
      break;
    case "tool_use": {
      onlyIn("assistant");
      keys(blk, ["type", "id", "name", "input", "cache_control", "caller"], tp);
      const id = str(blk.id, `${tp}.id`);
      if (!ID_RE.test(id)) fail(`${tp}.id: String should match pattern '^[a-zA-Z0-9_-]+$'`);
      if (st.toolUseIds.has(id)) fail(`${path}: \`tool_use\` ids must be unique`);
      st.toolUseIds.add(id);
      str(blk.name, `${tp}.name`);
      obj(blk.input, `${tp}.input`);
      break;
    }
    case "tool_result": {
      onlyIn("user");
      keys(blk, ["type", "tool_use_id", "content", "is_error", "cache_control"], tp);
      if (!ID_RE.test(str(blk.tool_use_id, `${tp}.tool_use_id`)))
        fail(`${tp}.tool_use_id: String should match pattern '^[a-zA-Z0-9_-]+$'`);
      if (blk.is_error !== undefined && typeof blk.is_error !== "boolean")
        fail(`${tp}.is_error: Input should be a valid boolean`);
      if (Array.isArray(blk.content)) {
        blk.content.forEach((inner: unknown, k: number) => {
          const ib = obj(inner, `${tp}.content.${k}`);
          if (!["text", "image", "document", "search_result"].includes(ib.type))
            fail(
              `${tp}.content.${k}: Input tag '${ib.type}' found using 'type' does not match any of the expected tags: 'text', 'image', 'document', 'search_result'`,
            );
          block(ib, "user", `${tp}.content.${k}`, st);
        });
      } else if (blk.content !== undefined && typeof blk.content !== "string")
        fail(`${tp}.content: Input should be a valid string or list`);
      break;
    }
    case "thinking": {
      onlyIn("assistant");
      keys(blk, ["type", "thinking", "signature"], tp);
      const text = str(blk.thinking, `${tp}.thinking`);
      const sig = str(blk.signature, `${tp}.signature`);
      // Signatures cover the thinking text, so an edited block is as invalid as a foreign one.
      if (st.signatures.get(sig) !== text)
        fail(`${path}: Invalid \`signature\` in \`thinking\` block`);
      break;
    }
    case "redacted_thinking":
      onlyIn("assistant");
      keys(blk, ["type", "data"], tp);
      str(blk.data, `${tp}.data`);
      // This mock never issues redacted thinking, so any such block was produced elsewhere.
      fail(`${path}: Invalid \`data\` in \`redacted_thinking\` block`);
  }
  cacheControl(blk, tp);
  return blk;
}
