// Small helpers shared by the mocks' own tests: authenticated raw requests and SSE splitting.
import type { MockUpstream } from "./types.ts";

export function authHeaders(m: MockUpstream): Record<string, string> {
  if (m.kind === "openai" || m.kind === "responses") return { authorization: `Bearer ${m.apiKey}` };
  if (m.kind === "anthropic") return { "x-api-key": m.apiKey, "anthropic-version": "2023-06-01" };
  return { "x-goog-api-key": m.apiKey };
}

/** POST JSON to `apiBase + path` with the mock's credentials unless `headers` overrides them. */
export function post(
  m: MockUpstream,
  path: string,
  body: unknown,
  headers?: Record<string, string>,
  init: RequestInit = {},
): Promise<Response> {
  return fetch(`${m.apiBase}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(headers ?? authHeaders(m)) },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...init,
  });
}

export interface SseEvent {
  event?: string;
  data: string;
}

/** Splits on blank lines (LF or CRLF) and keeps the `event:` name so tests can assert it. */
export function parseSse(text: string): SseEvent[] {
  return text
    .split(/\r?\n\r?\n/)
    .filter((block) => block.trim() !== "")
    .map((block) => {
      let event: string | undefined;
      const data: string[] = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      return { event, data: data.join("\n") };
    });
}

export const jsonEvents = (text: string) =>
  parseSse(text)
    .filter((e) => e.data !== "[DONE]")
    .map((e) => JSON.parse(e.data));

/** Reads a body chunk by chunk, so tests can see that a stream really arrives progressively. */
export async function readChunks(res: Response): Promise<string[]> {
  const out: string[] = [];
  const dec = new TextDecoder();
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out;
    out.push(dec.decode(value, { stream: true }));
  }
}

/**
 * The server learns about a client abort asynchronously (socket close), so tests that assert
 * `aborted` wait for it with a bounded check instead of a fixed sleep.
 */
export async function eventually(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await Bun.sleep(5);
  }
}
