import { readdirSync } from "node:fs";
import { expect } from "bun:test";

/** What a client got: status, headers, every body byte that arrived, and whether the body was cut. */
export interface Got {
  status: number;
  headers: Headers;
  text: string;
  /** The connection broke while the body was being read (no clean end). */
  cut: boolean;
  ms: number;
}

class HungRequest extends Error {}

/**
 * One request as a plain client, bounded: if the answer (headers and the whole body) has not
 * arrived within `boundMs`, the request is abandoned and the promise rejects with HungRequest,
 * so a hung request fails the test instead of the test timing out. `keepalive: false` keeps
 * client connections out of the picture when descriptors are counted.
 */
export async function ask(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  boundMs = 4000,
): Promise<Got> {
  const t0 = performance.now();
  const ac = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ac.abort();
      reject(new HungRequest(`request to ${url} still open after ${boundMs} ms`));
    }, boundMs);
  });
  const run = async (): Promise<Got> => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
      signal: ac.signal,
      keepalive: false,
    } as RequestInit);
    let text = "";
    let cut = false;
    if (res.body) {
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      for (let i = 0; i < 100_000; i++) {
        let r: Awaited<ReturnType<typeof reader.read>>;
        try {
          r = await reader.read();
        } catch {
          if (ac.signal.aborted)
            throw new HungRequest(`request to ${url} still open after ${boundMs} ms`);
          cut = true;
          break;
        }
        if (r.done) break;
        text += dec.decode(r.value, { stream: true });
      }
      text += dec.decode();
    }
    return { status: res.status, headers: res.headers, text, cut, ms: performance.now() - t0 };
  };
  try {
    return await Promise.race([run(), hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `cond` every `stepMs` until it holds or `boundMs` passed; returns whether it held. */
export async function pollUntil(
  cond: () => boolean,
  boundMs = 1000,
  stepMs = 10,
): Promise<boolean> {
  const until = performance.now() + boundMs;
  for (let i = 0; i < 10_000; i++) {
    if (cond()) return true;
    if (performance.now() >= until) return cond();
    await Bun.sleep(stepMs);
  }
  return cond();
}

/** Open file descriptors of this process (sockets included). */
export function fdCount(): number {
  return readdirSync("/proc/self/fd").length;
}

/** The `data:` payloads of an SSE body, in order, parsed as JSON where they are JSON. */
export function sseData(text: string): unknown[] {
  const out: unknown[] = [];
  for (const frame of text.split(/\r?\n\r?\n/)) {
    const data = frame
      .split(/\r?\n/)
      .filter((l) => l.startsWith("data:"))
      .map((l) => l.slice(5).replace(/^ /, ""))
      .join("\n");
    if (!data) continue;
    try {
      out.push(JSON.parse(data));
    } catch {
      out.push(data);
    }
  }
  return out;
}

/** An OpenAI error body: `{error: {message, type, ...}}`. */
export function expectOpenAIError(body: unknown): { message: string; type: string; code: unknown } {
  expect(body).toBeObject();
  const err = (body as { error?: { message?: unknown; type?: unknown; code?: unknown } }).error;
  expect(err).toBeObject();
  expect(typeof err!.message).toBe("string");
  expect(typeof err!.type).toBe("string");
  return err as { message: string; type: string; code: unknown };
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { unparseable: text.slice(0, 300) };
  }
}
