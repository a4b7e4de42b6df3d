import { RouterError, type IRRequest, type IRResponse, type StreamEvent } from "../../src/ir";

/**
 * What the IR types promise, checked at run time. Decoders must not let a wrong-typed or
 * prototype-named value (`"constructor"`, `"__proto__"` used as an enum word) through into the
 * neutral form: the encoders trust it and would send nonsense upstream or to the client.
 * Each function returns the first few violations (empty when the value is well-formed).
 */

const plain = (v: unknown): v is Record<string, any> =>
  typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype;
const oneOf = (v: unknown, allowed: readonly unknown[]) => allowed.includes(v);
const isStr = (v: unknown) => typeof v === "string";
const optStr = (v: unknown) => v === undefined || isStr(v);
const num = (v: unknown) => typeof v === "number" && Number.isFinite(v);
const optNum = (v: unknown) => v === undefined || num(v);
const optBool = (v: unknown) => v === undefined || typeof v === "boolean";

/** The formats whose upstreams issue reasoning signatures (src/wire/signature.ts tags each). */
const SIGNERS = ["anthropic", "gemini", "responses"];
const EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh"];
const FINISH_REASONS = [
  "stop",
  "length",
  "tool_calls",
  "content_filter",
  "refusal",
  "pause",
  "error",
  "other",
];
const ERROR_CODES = [
  "invalid_request",
  "authentication",
  "permission",
  "not_found",
  "model_not_found",
  "request_too_large",
  "rate_limit",
  "overloaded",
  "upstream_error",
  "bad_gateway",
  "timeout",
  "not_implemented",
  "internal",
];

/** Renders a value for a message, saying so when it is a function (a prototype member). */
export function show(v: unknown): string {
  if (typeof v === "function") return `<function ${v.name}>`;
  try {
    return (
      JSON.stringify(v, (_k, x) => (typeof x === "function" ? `<function ${x.name}>` : x))?.slice(
        0,
        200,
      ) ?? String(v)
    );
  } catch {
    return String(v);
  }
}

class Checker {
  readonly out: string[] = [];
  check(ok: boolean, what: () => string): void {
    if (!ok && this.out.length < 5) this.out.push(what());
  }
  signature(s: unknown, at: string): void {
    this.check(
      s === undefined || (plain(s) && oneOf(s.source, SIGNERS) && isStr(s.value)),
      () => `${at}.signature is ${show(s)}`,
    );
  }
  text(p: unknown, at: string): void {
    this.check(
      plain(p) && p.type === "text" && isStr(p.text),
      () => `${at} is not a text part: ${show(p)}`,
    );
  }
  media(p: Record<string, unknown>, at: string): void {
    const fields = ["mime", "data", "url", "fileId", "detail", "name", "text"];
    this.check(
      fields.every((f) => optStr(p[f])),
      () => `${at}: media fields must be strings: ${show(p)}`,
    );
  }
  part(p: unknown, role: string, at: string): void {
    if (!plain(p)) return this.check(false, () => `${at} is not a plain object: ${show(p)}`);
    const allowed =
      role === "system"
        ? ["text"]
        : role === "user"
          ? ["text", "image", "file", "tool_result"]
          : ["text", "reasoning", "tool_call"];
    this.check(oneOf(p.type, allowed), () => `${at}: type ${show(p.type)} in a ${role} message`);
    if (p.type === "text") this.text(p, at);
    else if (p.type === "image" || p.type === "file") this.media(p, at);
    else if (p.type === "reasoning") {
      this.check(isStr(p.text) && optStr(p.redacted), () => `${at}: reasoning text ${show(p)}`);
      this.signature(p.signature, at);
    } else if (p.type === "tool_call") {
      this.check(
        isStr(p.id) && isStr(p.name) && plain(p.args),
        () => `${at}: tool call id/name/args ${show(p)}`,
      );
      this.signature(p.signature, at);
    } else if (p.type === "tool_result") {
      this.check(
        isStr(p.callId) && optStr(p.name) && optBool(p.isError) && Array.isArray(p.content),
        () => `${at}: tool result ${show(p)}`,
      );
      for (const [k, c] of (Array.isArray(p.content) ? p.content : []).entries()) {
        this.check(
          plain(c) && oneOf(c.type, ["text", "image", "file"]),
          () => `${at}.content[${k}] type ${show(c)}`,
        );
        if (plain(c) && c.type === "text") this.text(c, `${at}.content[${k}]`);
        else if (plain(c)) this.media(c, `${at}.content[${k}]`);
      }
    }
  }
  finish(f: unknown, at: string): void {
    this.check(
      plain(f) && oneOf(f.reason, FINISH_REASONS) && optStr(f.raw) && optStr(f.stopSequence),
      () => `${at} is ${show(f)}`,
    );
  }
  usage(u: unknown, at: string): void {
    this.check(
      plain(u) &&
        num(u.input) &&
        num(u.output) &&
        num(u.cacheRead) &&
        num(u.cacheWrite) &&
        optNum(u.reasoning),
      () => `${at} is ${show(u)}`,
    );
  }
  error(e: unknown, at: string): void {
    this.check(
      e instanceof RouterError &&
        oneOf(e.code, ERROR_CODES) &&
        Number.isInteger(e.status) &&
        (e as RouterError).status >= 400 &&
        e.status <= 599 &&
        isStr(e.message),
      () => `${at} is ${show(e)}`,
    );
  }
}

export function requestProblems(ir: IRRequest): string[] {
  const c = new Checker();
  c.check(isStr(ir.model), () => `model is ${show(ir.model)}`);
  c.check(Array.isArray(ir.system), () => "system is not an array");
  (Array.isArray(ir.system) ? ir.system : []).forEach((p, i) => c.text(p, `system[${i}]`));
  c.check(Array.isArray(ir.messages), () => "messages is not an array");
  (Array.isArray(ir.messages) ? ir.messages : []).forEach((m, i) => {
    c.check(
      plain(m) && oneOf(m.role, ["system", "user", "assistant"]) && Array.isArray(m.parts),
      () => `messages[${i}] is ${show(m)}`,
    );
    (Array.isArray(m?.parts) ? m.parts : []).forEach((p: unknown, j: number) =>
      c.part(p, m.role, `messages[${i}].parts[${j}]`),
    );
  });
  c.check(Array.isArray(ir.tools), () => "tools is not an array");
  (Array.isArray(ir.tools) ? ir.tools : []).forEach((t, i) =>
    c.check(
      plain(t) &&
        isStr(t.name) &&
        plain(t.schema) &&
        optStr(t.description) &&
        optBool(t.strict) &&
        (t.freeform === undefined ||
          (plain(t.freeform) && (t.freeform.format === undefined || plain(t.freeform.format)))),
      () => `tools[${i}] is ${show(t)}`,
    ),
  );
  const tc: unknown = ir.toolChoice;
  c.check(
    tc === undefined ||
      (plain(tc) &&
        (oneOf(tc.type, ["auto", "none", "required"]) || (tc.type === "tool" && isStr(tc.name)))),
    () => `toolChoice is ${show(tc)}`,
  );
  c.check(
    optBool(ir.parallelToolCalls) && typeof ir.stream === "boolean" && optBool(ir.streamUsage),
    () => "boolean flags",
  );
  for (const k of [
    "maxTokens",
    "temperature",
    "topP",
    "topK",
    "seed",
    "n",
    "presencePenalty",
    "frequencyPenalty",
  ] as const)
    c.check(optNum(ir[k]), () => `${k} is ${show(ir[k])}`);
  c.check(
    ir.stop === undefined || (Array.isArray(ir.stop) && ir.stop.every(isStr)),
    () => `stop is ${show(ir.stop)}`,
  );
  c.check(optStr(ir.user), () => `user is ${show(ir.user)}`);
  c.check(optStr(ir.promptCacheKey), () => `promptCacheKey is ${show(ir.promptCacheKey)}`);
  const rf: unknown = ir.responseFormat;
  c.check(
    rf === undefined ||
      (plain(rf) &&
        (oneOf(rf.type, ["text", "json"]) ||
          (rf.type === "json_schema" &&
            plain(rf.schema) &&
            optStr(rf.name) &&
            optBool(rf.strict)))),
    () => `responseFormat is ${show(rf)}`,
  );
  const r: unknown = ir.reasoning;
  c.check(
    r === undefined ||
      (plain(r) &&
        optBool(r.enabled) &&
        optBool(r.include) &&
        optNum(r.budget) &&
        (r.effort === undefined || oneOf(r.effort, EFFORTS))),
    () => `reasoning is ${show(r)}`,
  );
  return c.out;
}

export function responseProblems(res: IRResponse): string[] {
  const c = new Checker();
  c.check(isStr(res.id) && isStr(res.model), () => `id/model ${show(res.id)} ${show(res.model)}`);
  (Array.isArray(res.parts) ? res.parts : []).forEach((p, i) =>
    c.part(p, "assistant", `parts[${i}]`),
  );
  c.check(Array.isArray(res.parts), () => "parts is not an array");
  c.finish(res.finish, "finish");
  c.usage(res.usage, "usage");
  return c.out;
}

export function eventProblems(e: StreamEvent): string[] {
  const c = new Checker();
  if (!plain(e)) return [`event is ${show(e)}`];
  switch (e.type) {
    case "start":
      c.check(isStr(e.id) && isStr(e.model), () => `start ${show(e)}`);
      break;
    case "text":
    case "reasoning":
      c.check(isStr(e.text), () => `${e.type} ${show(e)}`);
      break;
    case "reasoning_signature":
      c.signature(e.signature, "reasoning_signature");
      break;
    case "redacted_reasoning":
      c.check(isStr(e.data), () => `redacted ${show(e)}`);
      break;
    case "tool_start":
      c.check(
        Number.isInteger(e.index) && e.index >= 0 && isStr(e.id) && isStr(e.name),
        () => `tool_start ${show(e)}`,
      );
      c.signature(e.signature, "tool_start");
      break;
    case "tool_args":
      c.check(Number.isInteger(e.index) && isStr(e.fragment), () => `tool_args ${show(e)}`);
      break;
    case "tool_end":
      c.check(Number.isInteger(e.index), () => `tool_end ${show(e)}`);
      break;
    case "usage":
      c.usage(e.usage, "usage event");
      break;
    case "finish":
      c.finish(e.finish, "finish event");
      break;
    case "error":
      c.error(e.error, "error event");
      break;
    default:
      c.check(false, () => `unknown event ${show(e)}`);
  }
  return c.out;
}

export function errorProblems(err: RouterError): string[] {
  const c = new Checker();
  c.error(err, "error");
  return c.out;
}
