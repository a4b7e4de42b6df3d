/**
 * Run by pinned-tls.test.ts in a process of its own, so that NODE_EXTRA_CA_CERTS makes the test
 * certificate trusted the ordinary way (fetch reads it at startup). Downloads each URL given on
 * the command line, with names resolved by a table to 127.0.0.1, and prints one JSON line each.
 * Usage: pinned-tls-child.ts <proxy url or "-"> <url>...
 */
import { run, tableLookup, geminiModel, reasonOf } from "./kit";

const [proxyArg, ...urls] = process.argv.slice(2);
const proxy = proxyArg === "-" ? undefined : proxyArg;
for (const url of urls) {
  const lookup = tableLookup({ "media.invalid": "127.0.0.1", "other.invalid": "127.0.0.1" });
  const r = await run(
    [url!],
    { allowHosts: ["127.0.0.1"] },
    { lookup, model: geminiModel({ proxy }) },
  );
  const data = r.ir.messages[0]!.parts.find((p) => p.type === "image");
  console.log(
    JSON.stringify({
      url,
      error: r.error?.message,
      reason: r.error ? reasonOf(r) : undefined,
      lookups: lookup.calls,
      inlined: data && "data" in data && data.data !== undefined,
    }),
  );
}
