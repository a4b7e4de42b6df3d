import Anthropic from "@anthropic-ai/sdk";
import { ApiError } from "@google/genai";
import { APICallError } from "ai";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { closedPort } from "../helpers";
import { endCooldowns, startHarness, type Harness } from "./harness";
import type { Failure, SdkClient } from "./sdk-failures";
import { SDK_CLIENTS as CLIENTS, type ClientName } from "./sdk-failures-responses";
import { CONTEXT_OVERFLOW } from "./provider-errors";

/**
 * Upstream failures seen through each official SDK when the upstream speaks another format:
 * the client must get its own format's error, with the status its SDK classifies correctly
 * (rate limit, overload, context overflow, auth, bad gateway), before and after a stream began.
 */

const KINDS = ["openai", "anthropic", "gemini", "responses"] as const;
type Kind = (typeof KINDS)[number];

// Each provider's own "overloaded" status, which is what its mock answers with.
const OVERLOADED: Record<Kind, number> = {
  openai: 503,
  anthropic: 529,
  gemini: 503,
  responses: 503,
};

// Stream events before the second text delta: OpenAI opens with a role chunk; Anthropic with
// message_start, content_block_start and a ping; Gemini's chunks are text from the first;
// Responses with response.created, response.in_progress, output_item.added, content_part.added.
const AFTER_TWO_DELTAS: Record<Kind, number> = {
  openai: 3,
  anthropic: 5,
  gemini: 2,
  responses: 6,
};
// "echo: alpha beta gamma" streams as "echo:", " alpha", " beta", " gamma".
const PROMPT = "alpha beta gamma";
// The input and limit of each provider's overflow message (CONTEXT_OVERFLOW); the Responses API's gives none.
const OVERFLOW_NUMBERS: Record<Kind, string[] | undefined> = {
  openai: ["131072", "128000"],
  anthropic: ["208310", "200000"],
  gemini: ["1200000", "1048576"],
  responses: undefined,
};
const FIRST_TWO_DELTAS = "echo: alpha";

let h: Harness;
let clients: Record<ClientName, SdkClient>;

beforeAll(async () => {
  // Nothing listens there, so connecting is refused at once.
  const port = await closedPort();
  const closedBase: Record<Kind, string> = {
    openai: `http://127.0.0.1:${port}/v1`,
    anthropic: `http://127.0.0.1:${port}`,
    gemini: `http://127.0.0.1:${port}/v1beta`,
    responses: `http://127.0.0.1:${port}/v1`,
  };
  const groups = KINDS.flatMap((k) => [
    `    - name: badkey-${k}\n      models: [{ name: badkey-${k} }]`,
    `    - name: dead-${k}\n      models: [{ name: dead-${k} }]`,
  ]).join("\n");
  h = await startHarness(groups, (mocks) =>
    KINDS.flatMap((k) => [
      `  - model_name: badkey-${k}\n    llm_params:\n      api_type: ${k}\n      model: ${k}-upstream\n      api_base: ${mocks[k].apiBase}\n      api_key: sk-wrong-${k}`,
      `  - model_name: dead-${k}\n    llm_params:\n      api_type: ${k}\n      model: ${k}-upstream\n      api_base: ${closedBase[k]}\n      api_key: sk-upstream-${k}`,
    ]).join("\n"),
  );
  clients = Object.fromEntries(CLIENTS.map((c) => [c.name, c.make(h.base)])) as Record<
    ClientName,
    SdkClient
  >;
});
afterAll(() => h.stop());
beforeEach(() => {
  Object.values(h.mocks).forEach((m) => m.reset());
  endCooldowns(h.runtime);
});

type ErrorClass = abstract new (...args: never[]) => unknown;

/**
 * The same failure as each SDK must present it: status (by the client's format), the SDK's own
 * class, and its type/code field. The Responses API's errors are OpenAI's: the AI SDK is held to
 * the openai SDK's type and code, in its own APICallError.
 */
interface Expected {
  status: Record<Kind, number>;
  openai: { cls: ErrorClass; type?: string; code?: string | null };
  anthropic: { cls: ErrorClass; type: string };
  gemini: { status: string };
}

function expectFailure(name: ClientName, f: Failure, want: Expected): void {
  const format = CLIENTS.find((c) => c.name === name)!.format;
  expect({ status: f.status }).toEqual({ status: want.status[format] });
  expect(f.message.length).toBeGreaterThan(0);
  if (format === "openai" || format === "responses") {
    expect(f.error).toBeInstanceOf(name === "ai-sdk-responses" ? APICallError : want.openai.cls);
    if (want.openai.type !== undefined) expect(f.type).toBe(want.openai.type);
    if (want.openai.code !== undefined) expect(f.code).toBe(want.openai.code);
  } else if (format === "anthropic") {
    expect(f.error).toBeInstanceOf(want.anthropic.cls);
    expect(f.type).toBe(want.anthropic.type);
  } else {
    expect(f.error).toBeInstanceOf(ApiError);
    expect(f.type).toBe(want.gemini.status);
  }
}

const all = (n: number): Record<Kind, number> => ({
  openai: n,
  anthropic: n,
  gemini: n,
  responses: n,
});

const BAD_GATEWAY: Expected = {
  status: all(502),
  openai: { cls: OpenAI.InternalServerError, type: "server_error" },
  anthropic: { cls: Anthropic.InternalServerError, type: "api_error" },
  // google.rpc has no "bad gateway"; UNAVAILABLE is its code for a transient failure worth retrying.
  gemini: { status: "UNAVAILABLE" },
};

for (const { name: clientKind, format } of CLIENTS) {
  for (const upstream of KINDS.filter((k) => k !== format)) {
    describe(`${clientKind} client → ${upstream} upstream: errors before any answer`, () => {
      const client = () => clients[clientKind];
      const mock = () => h.mocks[upstream];

      test("429 with retry-after → the SDK's rate-limit error, retry-after kept", async () => {
        mock().fault({ kind: "status", status: 429, headers: { "retry-after": "7" } });
        const f = await client().fail(upstream);
        expectFailure(clientKind, f, {
          status: all(429),
          openai: { cls: OpenAI.RateLimitError, code: "rate_limit_exceeded" },
          anthropic: { cls: Anthropic.RateLimitError, type: "rate_limit_error" },
          gemini: { status: "RESOURCE_EXHAUSTED" },
        });
        expect(f.retryAfter).toBe("7");
        expect(mock().requests).toHaveLength(1);
      });

      test(`upstream overloaded (${OVERLOADED[upstream]}) → the client format's own overload status`, async () => {
        mock().fault({ kind: "status", status: OVERLOADED[upstream] });
        const f = await client().fail(upstream);
        expectFailure(clientKind, f, {
          status: { openai: 503, anthropic: 529, gemini: 503, responses: 503 },
          openai: { cls: OpenAI.InternalServerError, type: "server_error" },
          anthropic: { cls: Anthropic.OverloadedError, type: "overloaded_error" },
          gemini: { status: "UNAVAILABLE" },
        });
      });

      test("context overflow → the client format's context-length error", async () => {
        mock().fault({ kind: "status", status: 400, body: CONTEXT_OVERFLOW[upstream] });
        const f = await client().fail(upstream);
        expectFailure(clientKind, f, {
          status: all(400),
          openai: {
            cls: OpenAI.BadRequestError,
            type: "invalid_request_error",
            code: "context_length_exceeded",
          },
          anthropic: { cls: Anthropic.BadRequestError, type: "invalid_request_error" },
          gemini: { status: "INVALID_ARGUMENT" },
        });
        // Claude Code compacts its history on exactly this phrase, by the excess its numbers give
        // (its regex, from its own code: see tests/wire/context-overflow-clients.test.ts).
        if (clientKind === "anthropic") {
          expect(f.message).toContain("prompt is too long");
          const numbers = /prompt is too long[^0-9]*(\d+)\s*tokens?\s*>\s*(\d+)/i.exec(
            (f.error as Error).message,
          );
          expect(numbers?.slice(1)).toEqual(OVERFLOW_NUMBERS[upstream]);
        }
      });

      test("the router's upstream key is wrong → the router's 502 naming the model, in the client's format", async () => {
        const f = await client().fail(`badkey-${upstream}`);
        // Not the upstream's 401: the client's own key is fine, and the provider's advice is not for it.
        expectFailure(clientKind, f, BAD_GATEWAY);
        expect(f.message).toContain(
          `upstream rejected the configured key for model badkey-${upstream}`,
        );
        // The refusal really came from the upstream (Gemini answers a bad key with 400 API_KEY_INVALID).
        const [seen] = mock().requests;
        expect(seen!.rejected?.status).toBe(upstream === "gemini" ? 400 : 401);
      });

      test("500 → the client format's own server error, status kept", async () => {
        mock().fault({ kind: "status", status: 500 });
        const f = await client().fail(upstream);
        expectFailure(clientKind, f, {
          status: all(500),
          openai: { cls: OpenAI.InternalServerError, type: "server_error" },
          anthropic: { cls: Anthropic.InternalServerError, type: "api_error" },
          gemini: { status: "INTERNAL" },
        });
        expect(mock().requests).toHaveLength(1);
      });

      test("200 with a body that is not JSON → 502", async () => {
        mock().fault({ kind: "garbage" });
        const f = await client().fail(upstream);
        expectFailure(clientKind, f, BAD_GATEWAY);
        expect(mock().requests).toHaveLength(1);
      });

      test("upstream unreachable (closed port) → 502", async () => {
        const f = await client().fail(`dead-${upstream}`);
        expectFailure(clientKind, f, BAD_GATEWAY);
        expect(f.message).toContain("unreachable");
      });
    });

    describe(`${clientKind} client → ${upstream} upstream: errors in a stream`, () => {
      const client = () => clients[clientKind];
      const mock = () => h.mocks[upstream];

      test("an error event after two deltas → the SDK raises its stream error after delivering them", async () => {
        mock().fault({ kind: "midstream-error", afterChunks: AFTER_TWO_DELTAS[upstream] });
        const run = await client().stream(upstream, PROMPT);
        expect(run.text).toBe(FIRST_TWO_DELTAS);
        expect(run.finish).toBeUndefined();
        const f = run.failure;
        expect(f).toBeDefined();
        // OpenAI's mocks send a generic server_error; the other two send their overload error.
        const overloaded = upstream === "anthropic" || upstream === "gemini";
        if (format === "responses") {
          // response.failed, its error's code the one Codex acts on; the AI SDK derives a status.
          expect(f!.code).toBe(overloaded ? "server_is_overloaded" : "server_error");
          if (clientKind === "ai-sdk-responses") expect(f!.status).toBe(overloaded ? 503 : 500);
        } else if (clientKind === "openai") {
          // The SDK turns a `data: {"error":…}` frame into a status-less APIError.
          expect(f!.error).toBeInstanceOf(OpenAI.APIError);
          expect(f!.status).toBeUndefined();
          expect(f!.type).toBe("server_error");
          if (overloaded) expect(f!.code).toBe("overloaded");
        } else if (clientKind === "anthropic") {
          // `event: error` becomes an APIError whose type is the error event's error.type.
          expect(f!.error).toBeInstanceOf(Anthropic.APIError);
          expect(f!.type).toBe(overloaded ? "overloaded_error" : "api_error");
        } else {
          // A bare {"error":…} chunk: ApiError with the chunk's code as status.
          expect(f!.error).toBeInstanceOf(ApiError);
          expect({ status: f!.status, type: f!.type }).toEqual(
            overloaded ? { status: 503, type: "UNAVAILABLE" } : { status: 500, type: "INTERNAL" },
          );
        }
      });

      test("a stream cut after two deltas is an error, never a clean finish", async () => {
        mock().fault({ kind: "truncate", afterChunks: AFTER_TWO_DELTAS[upstream] });
        const run = await client().stream(upstream, PROMPT);
        expect(run.text).toBe(FIRST_TWO_DELTAS);
        // Left alone, each SDK would end quietly here (OpenAI without [DONE], Anthropic without
        // message_stop, Gemini without finishReason, Responses without response.completed): only
        // an error the router writes makes it throw (or, for Responses, a response.failed).
        expect(run.finish).toBeUndefined();
        expect(run.failure).toBeDefined();
        if (format === "responses") {
          expect(run.failure!.code).toBe("server_error");
          return;
        }
        const cls =
          clientKind === "openai"
            ? OpenAI.APIError
            : clientKind === "anthropic"
              ? Anthropic.APIError
              : ApiError;
        expect(run.failure!.error).toBeInstanceOf(cls);
        if (clientKind === "gemini") expect(run.failure!.status).toBeGreaterThanOrEqual(500);
        if (clientKind === "anthropic") expect(run.failure!.type).toMatch(/_error$/);
      });

      test("a connection reset before any byte → an HTTP error status, no stream", async () => {
        mock().fault({ kind: "reset" });
        const run = await client().stream(upstream, PROMPT);
        expect(run.text).toBe("");
        expect(run.failure).toBeDefined();
        expectFailure(clientKind, run.failure!, BAD_GATEWAY);
      });
    });
  }
}
