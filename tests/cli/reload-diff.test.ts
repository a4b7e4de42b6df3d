import { expect, test } from "bun:test";
import { describeChanges } from "../../src/cli/reload-diff";
import { loadConfigText } from "../../src/config";

const config = (keys: string) =>
  loadConfigText(
    `${keys}
model_list:
  - model_name: m
    llm_params: { api_type: openai, model: x, api_base: "http://127.0.0.1:9/v1" }
router_settings:
  model_groups:
    - name: g
      models: [{ name: m }]
`,
    "reload.yaml",
    {},
  );

test("a reload's line names the keys added, removed and changed, never their secrets", () => {
  const before = config(`keys:
  - { name: a, secret: sk-a-0123456789abcdef }
  - { name: b, secret: sk-b-0123456789abcdef, rpm: 5 }`);
  const after = config(`keys:
  - { name: b, secret: sk-b-0123456789abcdef, rpm: 10 }
  - { name: c, secret: sk-c-0123456789abcdef }`);
  const changes = describeChanges(before, after);
  expect(changes).toEqual({ keys_added: ["c"], keys_removed: ["a"], keys_changed: ["b"] });
  expect(JSON.stringify(changes)).not.toContain("sk-");
});
