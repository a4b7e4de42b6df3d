import type { MockKind, RecordedRequest, Reply } from "../../mocks";
import { startHarness, type Harness } from "../harness";
import { RUN_TIMEOUT_MS, runBounded, scratch, type Drive, type Invocation } from "./cli";
import { fileReader } from "./script";
import { startTap, type Tap } from "./tap";

/**
 * The rig of the real-client key tests: the router harness with keys and priced groups, a tap
 * in front of it, runs of a CLI with a key, and what GET /v1/usage must then say.
 */

export const SECRET = {
  claude: "sk-claude-0123456789abcdef",
  codex: "sk-codex-0123456789abcdef",
  gemini: "sk-gemini-0123456789abcdef",
  opencode: "sk-opencode-0123456789abcdef",
  qwen: "sk-qwen-0123456789abcdef",
  spent: "sk-spent-0123456789abcdef",
  "spent-total": "sk-spent-total-0123456789abcdef",
  parallel: "sk-parallel-0123456789abcdef",
  narrow: "sk-narrow-0123456789abcdef",
};
export type KeyName = keyof typeof SECRET;
const NAME_OF = new Map(Object.entries(SECRET).map(([name, secret]) => [secret, name]));

const KEYS = `keys:
  - { name: claude, secret: ${SECRET.claude} }
  - { name: codex, secret: ${SECRET.codex} }
  - { name: gemini, secret: ${SECRET.gemini} }
  - { name: opencode, secret: ${SECRET.opencode} }
  - { name: qwen, secret: ${SECRET.qwen} }
  - { name: spent, secret: ${SECRET.spent}, budget: { usd: 0.01, period: month } }
  - { name: spent-total, secret: ${SECRET["spent-total"]}, budget: { usd: 0.01, period: total } }
  - { name: parallel, secret: ${SECRET.parallel}, max_parallel: 1 }
  - { name: narrow, secret: ${SECRET.narrow}, groups: [claude-main] }`;

/** One priced model per group, in USD per million tokens: whole numbers keep the sums exact. */
const PRICED = [
  { group: "claude-main", model: "cc-main", kind: "anthropic", input: 3, output: 15 },
  { group: "claude-small", model: "cc-small", kind: "anthropic", input: 1, output: 5 },
  { group: "codex-main", model: "cx-main", kind: "responses", input: 2, output: 8 },
  { group: "gemini-main", model: "ge-main", kind: "gemini", input: 1, output: 4 },
  { group: "opencode-main", model: "oc-main", kind: "responses", input: 5, output: 25 },
  { group: "qwen-main", model: "qw-main", kind: "openai", input: 2, output: 6 },
] as const;
export type Group = (typeof PRICED)[number]["group"];
export const priced = (group: Group) => PRICED.find((p) => p.group === group)!;

/** What the mock reported, summed: what the key must be billed for. */
export interface Meter {
  requests: number;
  input: number;
  output: number;
}

export const newMeter = (): Meter => ({ requests: 0, input: 0, output: 0 });

/**
 * The file-reading script, with every answer's usage set here (a different count per call, so
 * no call can be billed twice or under another's count). Thinking stays only where the format
 * counts it inside the output tokens with no count of its own (Anthropic, whose Claude Code
 * insists on it once enabled), so no reasoning count enters the sums.
 */
export function meteredReader(kind: MockKind, path: string, content: string, meter: Meter) {
  const read = fileReader(kind, { path, content });
  return (req: RecordedRequest): Reply => {
    const { thinking, ...rest } = read(req) ?? {};
    const usage = { input: 1000 + 37 * meter.requests, output: 20 + 3 * meter.requests };
    meter.requests++;
    meter.input += usage.input;
    meter.output += usage.output;
    return kind === "anthropic" ? { ...rest, thinking, usage } : { ...rest, usage };
  };
}

/** One group's entry in /v1/usage, as the meter and the model's prices say it must read. */
export function billed(group: Group, m: Meter) {
  const p = priced(group);
  const totals = {
    requests: m.requests,
    usd: (m.input * p.input + m.output * p.output) / 1e6,
    tokens: { input: m.input, output: m.output, cache_read: 0, cache_write: 0, reasoning: 0 },
  };
  return { [group]: { ...totals, models: { [p.model]: totals } } };
}

/** The same invocation with more environment. */
export const withEnv =
  (prepare: (d: Drive) => Promise<Invocation>, env: Record<string, string>) =>
  async (d: Drive): Promise<Invocation> => {
    const inv = await prepare(d);
    return { ...inv, env: { ...inv.env, ...env } };
  };

export interface RunSpec {
  key: KeyName;
  group: Group;
  /** the group of the CLI's small model; `group` when unset */
  smallGroup?: Group;
  prompt: string;
  timeoutMs?: number;
  files?: Record<string, string>;
  /** scripts the mocks once they are reset, given the run's working directory */
  script?: (work: string) => void;
}

const tail = (s: string, n = 1500) => (s.length > n ? `…${s.slice(-n)}` : s);

/** The configured key's name for each credential a request presented, `other` for the rest. */
const keyOf = (secrets: string[]) =>
  secrets.length === 0 ? "none" : secrets.map((s) => NAME_OF.get(s) ?? "other").join("+");

export interface Rig {
  h: Harness;
  tap: Tap;
  drive(prepare: (d: Drive) => Promise<Invocation>, spec: RunSpec): Promise<Outcome>;
  /** The key's own GET /v1/usage, once it counts `requests` answers (each settles after it). */
  usage(key: KeyName, requests: number): Promise<any>;
  stop(): Promise<void>;
}

/** Everything a failed run should show at once. */
export interface Outcome {
  exit: number | string | null;
  ms: number;
  /** each API request as `status method path model auth key` */
  calls: string[];
  /** each request the mocks got, as `kind model` */
  upstream: string[];
  rejectedByMocks: string[];
  stdout: string;
  stderr: string;
}

export async function startRig(): Promise<Rig> {
  const h = await startHarness(
    PRICED.map((p) => `    - { name: ${p.group}, models: [{ name: ${p.model} }] }`).join("\n"),
    (m) =>
      PRICED.map(
        (p) =>
          `  - model_name: ${p.model}\n    llm_params: { api_type: ${p.kind}, model: up-${p.model}, api_base: ${m[p.kind].apiBase}, api_key: ${m[p.kind].apiKey}, pricing: { input: ${p.input}, output: ${p.output} } }`,
      ).join("\n"),
    { top: KEYS },
  );
  const tap = startTap(h.base);

  async function drive(prepare: (d: Drive) => Promise<Invocation>, spec: RunSpec) {
    const s = await scratch(spec.files ?? {});
    try {
      const mocks = Object.values(h.mocks);
      for (const m of mocks) m.reset();
      tap.seen.length = 0;
      spec.script?.(s.work);
      const d = {
        base: tap.url,
        token: SECRET[spec.key],
        group: spec.group,
        ...(spec.smallGroup ? { smallGroup: spec.smallGroup } : {}),
        prompt: spec.prompt,
      };
      const run = await runBounded(
        await prepare({ ...d, scratch: s }),
        spec.timeoutMs ?? RUN_TIMEOUT_MS,
      );
      return {
        exit: run.timedOut ? `timed out after ${run.ms} ms` : run.code,
        ms: run.ms,
        // Claude Code's bare HEAD of the base URL at startup (a warm-up, no credential) is left out.
        calls: tap.seen
          .filter((t) => !(t.method === "HEAD" && t.path === "/"))
          .map((t) =>
            [t.status, t.method, t.path, t.model ?? "-", t.auth.join("+"), keyOf(t.secrets)].join(
              " ",
            ),
          ),
        upstream: mocks.flatMap((m) =>
          m.requests.map((r) => `${m.kind} ${r.body?.model ?? r.path}`),
        ),
        rejectedByMocks: mocks.flatMap((m) =>
          m.requests
            .filter((r) => r.rejected)
            .map((r) => `${r.rejected!.status} ${r.rejected!.message}`),
        ),
        stdout: tail(run.stdout),
        stderr: tail(run.stderr),
      };
    } finally {
      await s.cleanup();
    }
  }

  async function usage(key: KeyName, requests: number) {
    const until = Date.now() + 5000;
    for (;;) {
      const res = await fetch(`${h.base}/v1/usage`, {
        headers: { authorization: `Bearer ${SECRET[key]}` },
      });
      const mine = ((await res.json()) as any).keys[0];
      if (mine.current.requests >= requests || Date.now() > until) return mine;
      await Bun.sleep(20);
    }
  }

  return {
    h,
    tap,
    drive,
    usage,
    async stop() {
      await tap.stop();
      await h.stop();
    },
  };
}
