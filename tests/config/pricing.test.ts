import { describe, expect, test } from "bun:test";
import { loadConfigText } from "../../src/config";
import { issuesOf, MINIMAL, onlyIssue } from "./fixtures/helpers";

/** llm_params.pricing: the defaults a price table leaves implicit made explicit, tiers sorted. */

/** MINIMAL with `pricing:` under gpt4o's llm_params, from line 6 on. */
const priced = (pricing: string) =>
  MINIMAL.replace("      model: gpt-4o\n", `      model: gpt-4o\n      pricing:\n${pricing}`);
const pricingOf = (pricing: string) =>
  loadConfigText(priced(pricing), "config.yaml", {}).models.get("gpt4o")!.pricing;

describe("pricing", () => {
  test("cache prices default to input, reasoning to output", () => {
    expect(pricingOf("        input: 2.5\n        output: 10\n")).toEqual({
      input: 2.5,
      output: 10,
      cacheRead: 2.5,
      cacheWrite: 2.5,
      reasoning: 10,
      tiers: [],
    });
  });

  test("every price as given, 0 included", () => {
    const pricing = pricingOf(
      "        { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75, reasoning: 0 }\n",
    );
    expect(pricing).toEqual({
      input: 3,
      output: 15,
      cacheRead: 0.3,
      cacheWrite: 3.75,
      reasoning: 0,
      tiers: [],
    });
  });

  test("tiers are sorted by threshold; a tier's unset prices are the base prices", () => {
    const pricing = pricingOf(`        input: 1.25
        output: 10
        cache_read: 0.31
        tiers:
          - { above_input_tokens: 1000000, input: 5 }
          - { above_input_tokens: 200000, input: 2.5, output: 15, cache_read: 0.625 }
`);
    expect(pricing!.tiers).toEqual([
      {
        aboveInputTokens: 200000,
        input: 2.5,
        output: 15,
        cacheRead: 0.625,
        cacheWrite: 1.25,
        reasoning: 10,
      },
      {
        aboveInputTokens: 1000000,
        input: 5,
        output: 10,
        cacheRead: 0.31,
        cacheWrite: 1.25,
        reasoning: 10,
      },
    ]);
  });

  test("a model without pricing has none (it costs 0)", () => {
    expect(loadConfigText(MINIMAL, "config.yaml", {}).models.get("gpt4o")!.pricing).toBeUndefined();
  });

  test("input and output are required", () => {
    expect(onlyIssue(priced("        input: 1\n"))).toEqual({
      code: "MISSING_KEY",
      path: "model_list[0].llm_params.pricing",
      pos: { line: 6, col: 7 },
      message: 'missing required key "output"',
    });
  });

  test("prices are numbers of at least 0; a threshold is a non-negative integer", () => {
    const issues = issuesOf(
      priced(`        input: -1
        output: cheap
        tiers: [{ above_input_tokens: 1.5 }]
`),
    );
    expect(issues.map((i) => [i.code, i.path, i.pos?.line])).toEqual([
      ["SCHEMA", "model_list[0].llm_params.pricing.input", 7],
      ["SCHEMA", "model_list[0].llm_params.pricing.output", 8],
      ["SCHEMA", "model_list[0].llm_params.pricing.tiers[0].above_input_tokens", 9],
    ]);
  });

  test("two tiers at one threshold are refused", () => {
    const text = priced(`        input: 1
        output: 2
        tiers:
          - { above_input_tokens: 200000, input: 2 }
          - { above_input_tokens: 200000, input: 3 }
`);
    expect(onlyIssue(text)).toEqual({
      code: "INVALID_VALUE",
      path: "model_list[0].llm_params.pricing.tiers[1].above_input_tokens",
      pos: { line: 11, col: 35 },
      message:
        "two tiers start above 200000 input tokens (tiers[0] and tiers[1]); thresholds must differ",
    });
  });
});
