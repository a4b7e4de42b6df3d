import { describe, expect, test } from "bun:test";
import { createHandler } from "../../src/core/handle";
import { BodyBudget } from "../../src/core/body-budget";
import { createRuntime } from "../../src/core/runtime";
import { silentLogger } from "../../src/log";
import { unreachableConfig } from "./unreachable-config";

/**
 * server_settings.max_total_body_size: what all request bodies hold at once is bounded, so many
 * large bodies together cannot exhaust memory. No upstream is reachable here: the calls that get
 * past the budget fail with 502, which is not what these tests look at.
 */
const ONE = 1000;
const TOTAL = 1500;

function setup(bodyTimeoutMs = 30_000) {
  const config = unreachableConfig("budget.yaml", {
    maxBodyBytes: ONE,
    maxTotalBodyBytes: TOTAL,
    bodyTimeoutMs,
  });
  const runtime = createRuntime(config);
  const bodies = new BodyBudget();
  return { bodies, handle: createHandler({ runtime: () => runtime, log: silentLogger, bodies }) };
}

/** An OpenAI request body of exactly `size` bytes. */
function body(size: number): string {
  const head = '{"model":"grp","messages":[{"role":"user","content":"';
  const tail = '"}]}';
  return head + "x".repeat(size - head.length - tail.length) + tail;
}

const PATHS = {
  openai: { path: "/v1/chat/completions", headers: {} },
  anthropic: { path: "/v1/messages", headers: { "anthropic-version": "2023-06-01" } },
  gemini: { path: "/v1beta/models/grp:generateContent", headers: {} },
} as const;

/** A request whose body says its length and arrives at once. */
function sized(size: number, format: keyof typeof PATHS = "openai"): Request {
  const { path, headers } = PATHS[format];
  return new Request(`http://r${path}`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json", "content-length": String(size) },
    body: body(size),
  });
}

/** A chunked request that sends `first` bytes of a `size`-byte body, then the rest when told (or fails). */
function trickling(
  size: number,
  first: number,
): { request: Request; finish(): void; fail(): void } {
  const text = new TextEncoder().encode(body(size));
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      c.enqueue(text.slice(0, first));
    },
  });
  return {
    request: new Request("http://r/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
    }),
    finish: () => (controller.enqueue(text.slice(first)), controller.close()),
    fail: () => controller.error(new Error("client went away")),
  };
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond() && performance.now() < end) await Bun.sleep(5);
  expect(cond()).toBe(true);
}

/** Sends a trickling body to `rig`'s handler and waits until the budget counts `counted` bytes. */
async function holding(
  rig: ReturnType<typeof setup>,
  size: number,
  first: number,
  counted: number,
) {
  const body = trickling(size, first);
  const answer = rig.handle(body.request);
  await until(() => rig.bodies.inUse === counted);
  return { ...body, answer };
}

describe("the total of request bodies held at once", () => {
  test("a body that would pass it is refused before it is read, in each client's own overloaded error; the bytes come back with the answer", async () => {
    const rig = setup();
    const { bodies, handle } = rig;
    const held = await holding(rig, 900, 800, 800);

    const openai = await handle(sized(800));
    expect(openai.status).toBe(503);
    expect(openai.headers.get("retry-after")).toBe("1");
    expect(openai.headers.get("connection")).toBe("close");
    expect(((await openai.json()) as { error: { message: string } }).error.message).toContain(
      "max_total_body_size",
    );
    const anthropic = await handle(sized(800, "anthropic"));
    expect(anthropic.status).toBe(529);
    expect(await anthropic.json()).toMatchObject({
      type: "error",
      error: { type: "overloaded_error" },
    });
    const gemini = await handle(sized(800, "gemini"));
    expect(gemini.status).toBe(503);
    expect(await gemini.json()).toMatchObject({ error: { code: 503, status: "UNAVAILABLE" } });
    // A body that fits beside the held one is read as usual.
    expect((await handle(sized(600))).status).not.toBe(503);
    expect(bodies.inUse).toBe(800);

    held.finish();
    expect((await held.answer).status).not.toBe(503);
    expect(bodies.inUse).toBe(0);
    expect((await handle(sized(800))).status).not.toBe(503);
    expect(bodies.inUse).toBe(0);
  });

  test("a chunked body that would pass it is cut off as it arrives, and gives back what it had", async () => {
    const rig = setup();
    const first = await holding(rig, 900, 800, 800);
    const second = await holding(rig, 900, 500, 1300);
    second.finish(); // its last 400 bytes do not fit
    const refused = await second.answer;
    expect(refused.status).toBe(503);
    expect(rig.bodies.inUse).toBe(800);
    first.finish();
    await first.answer;
    expect(rig.bodies.inUse).toBe(0);
  });

  test("nothing stays counted after a 413, a 400, a client that went away, or a 408", async () => {
    const rig = setup();
    const { bodies, handle } = rig;
    const tooBig = await holding(rig, 1200, 700, 700);
    tooBig.finish();
    expect((await tooBig.answer).status).toBe(413);
    expect(bodies.inUse).toBe(0);

    const notJson = new Request("http://r/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": "9" },
      body: "not json!",
    });
    expect((await handle(notJson)).status).toBe(400);
    expect(bodies.inUse).toBe(0);

    const gone = await holding(rig, 900, 600, 600);
    gone.fail();
    expect((await gone.answer).status).toBe(400);
    expect(bodies.inUse).toBe(0);

    const slow = setup(100);
    const late = await holding(slow, 900, 600, 600);
    expect((await late.answer).status).toBe(408);
    late.finish(); // arrives after its 408: nobody holds it
    await until(() => slow.bodies.inUse === 0);
  });
});
