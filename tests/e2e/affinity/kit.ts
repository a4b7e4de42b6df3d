import Anthropic from "@anthropic-ai/sdk";
import { loadConfigText, type RouterConfig } from "../../../src/config";
import { loadRuntime, type Runtime } from "../../../src/core/runtime";
import { silentLogger } from "../../../src/log";
import { serve, type RunningServer } from "../../../src/server/serve";
import { startMock, type MockUpstream } from "../../mocks";

/**
 * Shared by the session-affinity end-to-end tests: deployments of one Anthropic model, each a
 * prompt-caching mock; conversations that grow turn by turn as an agent sends them, through the
 * official SDK; and the arithmetic that says how much of the input the caches could have read.
 */

export const TOKEN = "router-token-affinity";

/** One deployment: a model of the config, backed by a mock with a cache of its own. */
export interface Deployment {
  name: string;
  mock: MockUpstream;
}

export async function startDeployments(names: string[]): Promise<Deployment[]> {
  const mocks = await Promise.all(
    names.map(() => startMock("anthropic", { apiKey: "sk-ant-affinity", promptCache: true })),
  );
  return names.map((name, i) => ({ name, mock: mocks[i]! }));
}

export interface GroupSpec {
  name: string;
  /** the group's own `affinity`; absent, the router-wide setting applies */
  affinity?: "session" | "none";
}

/** The config of the issue's contract: equal weights, roundrobin, affinity as given. */
export function affinityConfig(deployments: Deployment[], groups: GroupSpec[]): string {
  const models = deployments.map(
    (d) =>
      `  - model_name: ${d.name}\n    llm_params: { api_type: anthropic, model: claude-affinity, api_base: ${JSON.stringify(d.mock.apiBase)}, api_key: ${d.mock.apiKey}, context_window: 200000 }`,
  );
  const members = deployments.map((d) => `{ name: ${d.name}, weight: 100 }`).join(", ");
  const group = (g: GroupSpec) =>
    `    - name: ${g.name}\n${g.affinity ? `      affinity: ${g.affinity}\n` : ""}      models: [${members}]`;
  return [
    "model_list:",
    ...models,
    "router_settings:",
    "  strategy: roundrobin",
    "  affinity: session",
    "  model_groups:",
    ...groups.map(group),
    "",
  ].join("\n");
}

export interface InProcessRouter {
  base: string;
  config: RouterConfig;
  stop(): Promise<void>;
}

/** The router in this process on a free loopback port, serving `yaml`. */
export async function startRouter(yaml: string): Promise<InProcessRouter> {
  const config = loadConfigText(yaml, "affinity.yaml", {});
  const runtime: Runtime = await loadRuntime(config);
  const router: RunningServer = serve(
    { hostname: "127.0.0.1", port: 0, maxBodyBytes: config.server.maxBodyBytes },
    { runtime: () => runtime, token: TOKEN, log: silentLogger },
  );
  return {
    base: router.url.origin,
    config,
    async stop() {
      await router.stop();
      await runtime.close();
    },
  };
}

export const sdk = (base: string) => new Anthropic({ baseURL: base, apiKey: TOKEN, maxRetries: 0 });

/** A shared system prompt of about 2 KB, as agents send one long system prompt every turn. */
const SYSTEM = Array.from(
  { length: 24 },
  (_, i) => `Rule ${i + 1}: work carefully, cite the file you changed, keep answers short.`,
).join("\n");

/** A UUID-shaped id that is the same in every run, so the split across members is too. */
function sessionId(conversation: number): string {
  const hex = (seed: number) =>
    Bun.hash.wyhash(`affinity-conversation-${conversation}`, BigInt(seed)).toString(16);
  const h = (hex(1) + hex(2)).padStart(32, "0").slice(-32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
}

const firstTurn = (c: number) =>
  `Conversation ${c}: the build of module ${c} fails after the last refactoring; find out why and fix it.`;
const laterTurn = (c: number, t: number) =>
  `Turn ${t} of conversation ${c}: that did not help yet, look at the next file and try again.`;

/**
 * How a conversation names its session: Claude Code's header, Claude Code's `metadata.user_id`
 * (a JSON string holding the session id), or nothing, which leaves the router the prompt's prefix.
 */
export type KeyBy = "header" | "metadata" | "prefix";

export interface Sent {
  conversation: number;
  turn: number;
  /** the input side of the usage the client received */
  read: number;
  written: number;
  uncached: number;
  /** the answer's `x-llm-router-model` and `x-llm-router-affinity` */
  model: string | null;
  affinity: string | null;
}

export interface Traffic {
  group: string;
  conversations: number;
  turns: number;
  /** conversations in flight at once */
  concurrency: number;
  keyBy: KeyBy;
  /** the client that sends a conversation's turn (two routers can share the turns) */
  client: (turn: number) => Anthropic;
}

/**
 * Each conversation sends its turns in order, each request repeating the whole conversation so
 * far (system, every user turn, every answer as received) plus one new user turn, with the cache
 * breakpoint on that last turn as Claude Code places it.
 */
export async function converse(t: Traffic): Promise<Sent[]> {
  const sent: Sent[] = [];
  const one = async (c: number) => {
    const history: Anthropic.MessageParam[] = [];
    for (let turn = 1; turn <= t.turns; turn++) {
      const text = turn === 1 ? firstTurn(c) : laterTurn(c, turn);
      const ask: Anthropic.MessageParam = {
        role: "user",
        content: [{ type: "text", text, cache_control: { type: "ephemeral" } }],
      };
      const { data, response } = await t
        .client(turn)
        .messages.create(
          {
            model: t.group,
            max_tokens: 256,
            system: SYSTEM,
            messages: [...history, ask],
            ...(t.keyBy === "metadata" ? { metadata: { user_id: claudeUserId(c) } } : {}),
          },
          t.keyBy === "header" ? { headers: { "x-claude-code-session-id": sessionId(c) } } : {},
        )
        .withResponse();
      history.push({ role: "user", content: [{ type: "text", text }] });
      history.push({ role: "assistant", content: data.content });
      sent.push({
        conversation: c,
        turn,
        read: data.usage.cache_read_input_tokens ?? 0,
        written: data.usage.cache_creation_input_tokens ?? 0,
        uncached: data.usage.input_tokens,
        model: response.headers.get("x-llm-router-model"),
        affinity: response.headers.get("x-llm-router-affinity"),
      });
    }
  };
  let next = 0;
  const lane = async () => {
    while (next < t.conversations) await one(next++);
  };
  await Promise.all(Array.from({ length: Math.min(t.concurrency, t.conversations) }, lane));
  return sent;
}

/** Claude Code 2.1's `metadata.user_id`: a JSON string with the device, account and session. */
const claudeUserId = (c: number) =>
  JSON.stringify({ device_id: "d".repeat(64), account_uuid: "", session_id: sessionId(c) });

export interface Shares {
  /** cache_read / all input tokens */
  read: number;
  /** the best any placement can do: every turn after the first reads the previous turn's prompt */
  achievable: number;
  /** strict alternation between two members: every turn after the second reads the one before last */
  alternating: number;
}

/** Input-token shares from what the client received; a turn's prompt is all three counts. */
export function shares(sent: Sent[]): Shares {
  const prompt = new Map(
    sent.map((s) => [`${s.conversation}/${s.turn}`, s.read + s.written + s.uncached]),
  );
  const earlier = (s: Sent, back: number) => prompt.get(`${s.conversation}/${s.turn - back}`) ?? 0;
  let total = 0;
  let read = 0;
  let achievable = 0;
  let alternating = 0;
  for (const s of sent) {
    total += s.read + s.written + s.uncached;
    read += s.read;
    achievable += earlier(s, 1);
    alternating += earlier(s, 2);
  }
  return { read: read / total, achievable: achievable / total, alternating: alternating / total };
}

/**
 * Which deployments served each conversation, as the mocks recorded it: a conversation is told
 * apart by its first user turn.
 */
export function placements(deployments: Deployment[], conversations: number): Set<string>[] {
  const index = new Map(Array.from({ length: conversations }, (_, c) => [firstTurn(c), c]));
  const out = Array.from({ length: conversations }, () => new Set<string>());
  for (const d of deployments)
    for (const use of d.mock.promptCache!.uses) {
      const c = index.get(use.conversation);
      if (c !== undefined) out[c]!.add(d.name);
    }
  return out;
}

export const percent = (x: number) => `${(100 * x).toFixed(1)}%`;
