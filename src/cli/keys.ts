import { parseArgs } from "citty";
import { hashedSecret } from "../config";
import { checkUnknownFlags, knownFlags, UsageError, wantsHelp } from "./args";
import { renderHelp } from "./help";

/**
 * `llm-router keys`: make a client key for `keys:`, or hash a secret into the `sha256:` form a
 * config can hold instead of the secret itself (so the config can be committed).
 */

/** What a new secret starts with: recognisable in logs, in leaked-secret scans and by people. */
const SECRET_PREFIX = "sk-llmr-";
/** 256 bits: beyond guessing, whoever can reach the port. */
const SECRET_BYTES = 32;

const HELP = { help: { type: "boolean", alias: "h", description: "Print help" } } as const;

const NEW_ARGS = {
  name: {
    type: "string",
    required: true,
    valueHint: "name",
    description: "The key's name, as logs, metrics and /v1/usage show it",
  },
  ...HELP,
} as const;

const HASH_ARGS = {
  secret: {
    type: "positional",
    required: false,
    description:
      "The secret; - or nothing reads it from stdin, which keeps it out of shell history",
  },
  ...HELP,
} as const;

export const KEYS_DESCRIPTION = "Make a new client key, or hash a secret for the config";

const NEW_DESCRIPTION = "Print a fresh random secret, its sha256: form and a keys: entry";
const HASH_DESCRIPTION = "Print the sha256: form of a secret";

const USAGE = "usage: llm-router keys new --name <NAME> | llm-router keys hash [SECRET | -]";

/** The help asked for after `keys` (its own, or a subcommand's); undefined when none was. */
export function keysHelp(raw: readonly string[]): string | undefined {
  if (!wantsHelp(raw)) return undefined;
  if (raw[0] === "new")
    return renderHelp({
      about: NEW_DESCRIPTION,
      name: "llm-router keys new",
      usage: ["--name <NAME>"],
      args: NEW_ARGS,
    });
  if (raw[0] === "hash")
    return renderHelp({
      about: HASH_DESCRIPTION,
      name: "llm-router keys hash",
      usage: ["[SECRET]"],
      args: HASH_ARGS,
    });
  return renderHelp({
    about: KEYS_DESCRIPTION,
    name: "llm-router keys",
    usage: ["<COMMAND>"],
    args: HELP,
    commands: [
      ["new", NEW_DESCRIPTION],
      ["hash", HASH_DESCRIPTION],
    ],
    footer: "Run `llm-router keys <COMMAND> --help` for a command's own options.",
  });
}

export interface KeysIO {
  out: (s: string) => void;
  /** The whole of standard input, as text. */
  readStdin: () => Promise<string>;
  /** Said on standard error before reading a secret from a terminal. */
  prompt?: (s: string) => void;
}

/** Runs `keys new` or `keys hash` (the arguments after `keys`); returns the exit code. */
export async function runKeys(raw: readonly string[], io: KeysIO): Promise<number> {
  const [sub, ...rest] = raw;
  if (sub === "new") return newKey(rest, io);
  if (sub === "hash") return hashKey(rest, io);
  throw new UsageError(sub === undefined ? USAGE : `unknown keys command "${sub}"; ${USAGE}`);
}

function newKey(raw: readonly string[], io: KeysIO): number {
  checkUnknownFlags(raw, knownFlags(NEW_ARGS), "llm-router keys new --help");
  const args = parseArgs([...raw], { ...NEW_ARGS, name: { ...NEW_ARGS.name, required: false } });
  const name = String(args.name ?? "").trim();
  if (!name) throw new UsageError("keys new needs --name <name>");
  if (name === "admin")
    throw new UsageError('the key name "admin" is reserved for the router token; choose another');
  if (args._.length > 0) throw new UsageError(`unexpected argument "${args._[0]}"; ${USAGE}`);

  const secret = SECRET_PREFIX + randomSecret();
  const hashed = hashedSecret(secret);
  io.out(
    [
      `secret: ${secret}`,
      `hash:   ${hashed}`,
      "",
      "# Give the secret to the key's holder; the config holds only its hash. Paste this into",
      "# config.yaml or the keys_file (under an existing keys:, the entry alone), then add groups,",
      "# rpm, tpm, max_parallel or budget as needed.",
      "keys:",
      `  - name: ${JSON.stringify(name)}`,
      `    secret: "${hashed}"`,
      "",
    ].join("\n"),
  );
  return 0;
}

async function hashKey(raw: readonly string[], io: KeysIO): Promise<number> {
  checkUnknownFlags(raw, knownFlags(HASH_ARGS), "llm-router keys hash --help");
  const args = parseArgs([...raw], HASH_ARGS);
  const [given, extra] = args._ as string[];
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"; ${USAGE}`);
  let secret = given;
  if (secret === undefined || secret === "-") {
    io.prompt?.("reading the secret from standard input (end with Ctrl-D)\n");
    // A secret piped in (echo, a password manager) ends with one newline that is not part of it.
    secret = (await io.readStdin()).replace(/\r?\n$/, "");
  }
  if (secret === "") throw new UsageError("the secret is empty");
  if (secret.startsWith("sha256:"))
    throw new UsageError("that is already a sha256: form; give the plain secret");
  io.out(`${hashedSecret(secret)}\n`);
  return 0;
}

function randomSecret(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(SECRET_BYTES))).toString("base64url");
}
