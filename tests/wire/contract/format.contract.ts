import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FORMATS, type FormatId } from "../../../src/wire";
import { codecContract } from "./codec.contract";
import { httpContract, passthroughGroup } from "./http.contract";
import { startContractRouter, type ContractRouter } from "./router";
import type { FormatSpec } from "./spec";
import { streamEndContract, streamEndGroups } from "./stream-end.contract";

/** Registers one named test of the suite (skipped, with its reason, when the spec says so). */
export type ContractTest = (name: string, fn: () => void | Promise<void>) => void;

/**
 * The contract every wire format fulfils, written once and run for each registered format (as
 * Hono runs `router/common.case.test.ts` for each router): round trips through its codec, its
 * errors, listings and request checks in process; its routes, listings, request checks and
 * stream completeness through a running router over real sockets.
 */
export function runFormatContract(id: FormatId, spec: FormatSpec): void {
  const format = FORMATS[id];
  const reasons = new Map(spec.skip?.flatMap((s) => s.tests.map((t) => [t, s.reason] as const)));
  const names = new Set<string>();
  const contractTest: ContractTest = (name, fn) => {
    names.add(name);
    const reason = reasons.get(name);
    if (reason === undefined) test(name, fn);
    else test.skip(`${name} (skipped: ${reason})`, fn);
  };

  describe(`${id} format contract`, () => {
    describe("codec and format object", () => codecContract(format, spec, contractTest));

    describe("through a running router", () => {
      let router: ContractRouter;
      beforeAll(async () => {
        const groups = [passthroughGroup(format), ...streamEndGroups(format, spec)];
        router = await startContractRouter(format, groups);
      });
      afterAll(() => router.stop());
      const running = () => router;
      httpContract(format, spec, running, contractTest);
      streamEndContract(format, spec, running, contractTest);
    });

    test("every skip names a test of the suite", () => {
      expect([...reasons.keys()].filter((name) => !names.has(name))).toEqual([]);
    });
  });
}
