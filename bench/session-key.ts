#!/usr/bin/env bun
/**
 * Cost of finding a request's session key (src/core/session-key.ts), in µs per call, on parsed
 * requests as the router holds them:
 *   header   a Claude Code request: its session header decides (goal ≤ 5 µs)
 *   prefix   the same request without header or metadata: the conversation's start is hashed
 *   1 MB     a request whose first user turn is 1 MB of text, hashed the same way (goal ≤ 50 µs)
 * Then what affinity adds to a routing decision, measured in the same run: the balancer's plan
 * for a group of two members with the strategy alone (the baseline), and with the session key
 * found and hashed and the members put in its rendezvous order (goal: ≤ 5 µs more).
 * Each row is the median of several timed batches, after a warm-up.
 *
 *   bun bench/session-key.ts [--quick]
 */
import type { RoutedCall } from "../src/attempt";
import { createBalancer, HealthRegistry } from "../src/balance";
import { hashKey } from "../src/balance/rendezvous";
import type { GroupConfig } from "../src/config/types";
import { findSessionKey } from "../src/core/session-key";
import { FORMATS } from "../src/wire";

const quick = process.argv.includes("--quick");
const BATCHES = quick ? 5 : 15;

const SESSION = "26ad3169-4d09-4df7-9858-466f79a668f6";

/** Claude Code's request headers (2.1), as the router's request object holds them. */
function claudeCodeHeaders(withSession: boolean): Headers {
  const headers: Record<string, string> = {
    accept: "application/json",
    "accept-encoding": "gzip, deflate, br, zstd",
    "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14",
    "anthropic-version": "2023-06-01",
    "content-type": "application/json",
    "user-agent": "claude-cli/2.1.197 (external, sdk-cli)",
    "x-api-key": "sk-router-token",
    "x-app": "cli",
    "x-stainless-lang": "js",
    "x-stainless-retry-count": "0",
  };
  if (withSession) headers["x-claude-code-session-id"] = SESSION;
  return new Request("http://127.0.0.1/v1/messages", { method: "POST", headers }).headers;
}

/** A Claude Code conversation of `turns` turns: a long system prompt, reminders, tool results. */
function conversation(turns: number, firstUserBytes: number) {
  const filler = (n: number) => "lorem ipsum dolor sit amet ".repeat(Math.ceil(n / 27)).slice(0, n);
  const messages: unknown[] = [
    {
      role: "user",
      content: [
        { type: "text", text: `<system-reminder>${filler(4000)}</system-reminder>` },
        { type: "text", text: filler(firstUserBytes), cache_control: { type: "ephemeral" } },
      ],
    },
  ];
  for (let i = 1; i < turns; i++)
    messages.push(
      i % 2
        ? { role: "assistant", content: [{ type: "text", text: filler(800) }] }
        : {
            role: "user",
            content: [{ type: "tool_result", tool_use_id: `t${i}`, content: filler(3000) }],
          },
    );
  return {
    model: "sonnet",
    max_tokens: 32000,
    stream: true,
    system: [
      { type: "text", text: "x-anthropic-billing-header: cc_version=2.1.197; cc_entrypoint=cli;" },
      { type: "text", text: filler(15_000), cache_control: { type: "ephemeral" } },
    ],
    messages,
  };
}

function call(headers: Headers, body: Record<string, unknown>): RoutedCall {
  const raw = new TextEncoder().encode(JSON.stringify(body));
  const client = FORMATS.anthropic;
  return {
    format: client.id,
    client,
    op: "generate",
    group: "sonnet",
    stream: true,
    sse: true,
    body,
    raw,
    headers,
  };
}

/** Median µs per call over BATCHES batches of `perBatch` calls, after one batch of warm-up. */
function microseconds(perBatch: number, fn: () => unknown): number {
  let sink = 0;
  const batch = () => {
    const start = Bun.nanoseconds();
    for (let i = 0; i < perBatch; i++) sink += fn() === undefined ? 0 : 1;
    return (Bun.nanoseconds() - start) / perBatch / 1000;
  };
  batch();
  const times = Array.from({ length: BATCHES }, batch).sort((a, b) => a - b);
  if (sink === 0) throw new Error("no session key found");
  return times[times.length >> 1]!;
}

const ROWS = [
  {
    label: "header",
    goal: 5,
    perBatch: 20_000,
    call: call(claudeCodeHeaders(true), conversation(40, 2000)),
  },
  {
    label: "prefix",
    goal: 5,
    perBatch: 5_000,
    call: call(claudeCodeHeaders(false), conversation(40, 2000)),
  },
  {
    label: "1 MB",
    goal: 50,
    perBatch: 1_000,
    call: call(claudeCodeHeaders(false), conversation(2, 1 << 20)),
  },
];

console.log("request   body bytes   source                             µs/call   goal");
for (const row of ROWS) {
  const found = findSessionKey(row.call, []);
  if (!found) throw new Error(`${row.label}: no session key`);
  const us = microseconds(quick ? row.perBatch / 10 : row.perBatch, () =>
    findSessionKey(row.call, []),
  );
  const line = [
    row.label.padEnd(9),
    String(row.call.raw.length).padStart(11),
    `  ${found.source}`.padEnd(36),
    us.toFixed(2).padStart(8),
    `≤ ${row.goal}`.padStart(6),
  ];
  console.log(line.join(" ") + (us > row.goal ? "   OVER GOAL" : ""));
}

const health = new HealthRegistry({ clock: { now: () => performance.now() } });
const balancer = createBalancer("roundrobin", health, { random: Math.random });
const members = [
  { model: "claude-a", weight: 100 },
  { model: "claude-b", weight: 100 },
];
const keyed: GroupConfig = { name: "sonnet", members, affinity: "session" };
const plain: GroupConfig = { name: "sonnet", members, affinity: "none" };
const eligible = [true, true];
const claudeCode = ROWS[0]!.call;
const perBatch = quick ? 5_000 : 50_000;
const baseline = microseconds(perBatch, () => balancer.plan(plain, eligible));
const withAffinity = microseconds(perBatch, () => {
  const found = findSessionKey(claudeCode, []);
  return balancer.plan(keyed, eligible, { session: hashKey(found!.key) });
});
const added = withAffinity - baseline;
console.log(
  `\nplan, strategy alone ${baseline.toFixed(2)} µs; with affinity ${withAffinity.toFixed(2)} µs: ` +
    `affinity adds ${added.toFixed(2)} µs (goal ≤ 5)${added > 5 ? "   OVER GOAL" : ""}`,
);
