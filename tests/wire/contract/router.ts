import type { Format, FormatId } from "../../../src/wire";
import { startHarness, TOKEN, type Harness } from "../../e2e/harness";
import { startBytesUpstream, type BytesUpstream } from "./bytes-upstream";
import { SPECS } from "./spec";

/**
 * A router started as the end-to-end tests start one, in front of a bytes upstream of one format:
 * each group named has one model of its own (so each test reads its own model's health), all of
 * them pointing at that upstream.
 */
export interface ContractRouter {
  harness: Harness;
  upstream: BytesUpstream;
  base: string;
  stop(): Promise<void>;
}

export async function startContractRouter(
  format: Format,
  names: string[],
): Promise<ContractRouter> {
  const upstream = await startBytesUpstream(format);
  const m = upstream.model;
  const params = `api_type: ${format.id}, model: ${m.model}, api_base: "${m.apiBase}", api_key: ${m.apiKey}`;
  const groups = names.map((n) => `    - name: ${n}\n      models: [{ name: ${n} }]`).join("\n");
  const models = () =>
    names.map((n) => `  - model_name: ${n}\n    llm_params: { ${params} }`).join("\n");
  const harness = await startHarness(groups, models);
  return {
    harness,
    upstream,
    base: harness.base,
    async stop() {
      await harness.stop();
      await upstream.stop();
    },
  };
}

/** A request as a client of `client` sends it: its own way of presenting the router token. */
export function ask(
  router: ContractRouter,
  client: FormatId,
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<Response> {
  const headers: Record<string, string> = SPECS[client].clientHeaders(TOKEN);
  if (init.body !== undefined) headers["content-type"] = "application/json";
  return fetch(router.base + path, {
    method: init.method ?? "POST",
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

/** A whole body as text, or what arrived of it when the connection broke. */
export async function readAll(res: Response): Promise<{ text: string; broke: boolean }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text: text + decoder.decode(), broke: false };
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    return { text, broke: true };
  }
}

interface ModelHealth {
  model: string;
  health: string;
  in_flight: number;
}

/**
 * The model's health from `/health?detail`, once the router has settled its last call (nothing
 * in flight): the verdict on a stream is recorded when the router sees it end, which may be
 * just after the client read its last byte.
 */
export async function settledHealth(router: ContractRouter, model: string): Promise<string> {
  const until = performance.now() + 2000;
  for (;;) {
    const res = await fetch(`${router.base}/health?detail`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const { models } = (await res.json()) as { models: ModelHealth[] };
    const found = models.find((x) => x.model === model);
    if (!found) throw new Error(`/health?detail does not list ${model}`);
    if (found.in_flight === 0) return found.health;
    if (performance.now() > until) throw new Error(`${model} still has a call in flight`);
    await Bun.sleep(5);
  }
}
