/**
 * Environment interpolation for config string values.
 *
 * Supported forms: `${VAR}`, `${VAR:-default}`, `$${` for a literal `${`, and LiteLLM's whole-value
 * `os.environ/VAR`. Substituted text is never scanned again, so a secret that happens to contain
 * `${` cannot pull in other variables.
 */

export type Env = Record<string, string | undefined>;

/**
 * `fromEnv` says whether any of the value came from the environment: such a value is never
 * printed in a message (it is often a key), its source text (`${VAR}`) is shown instead.
 */
export type Interpolated =
  { ok: true; value: string; fromEnv: boolean } | { ok: false; message: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LITELLM_PREFIX = "os.environ/";

export function interpolate(text: string, env: Env): Interpolated {
  if (text.startsWith(LITELLM_PREFIX)) return fromLiteLLM(text.slice(LITELLM_PREFIX.length), env);
  // Most strings have nothing to expand; skipping the scan keeps loads of big configs cheap.
  if (!text.includes("${")) return { ok: true, value: text, fromEnv: false };

  let out = "";
  let fromEnv = false;
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf("$", i);
    if (dollar < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    if (text.startsWith("$${", dollar)) {
      out += "${";
      i = dollar + 3;
      continue;
    }
    if (text[dollar + 1] !== "{") {
      out += "$";
      i = dollar + 1;
      continue;
    }
    const close = text.indexOf("}", dollar + 2);
    if (close < 0) return bad(`unterminated "\${" in ${JSON.stringify(text)}`);
    const expr = text.slice(dollar + 2, close);
    const sep = expr.indexOf(":-");
    const name = sep < 0 ? expr : expr.slice(0, sep);
    if (!NAME.test(name)) {
      return bad(
        `invalid variable reference "\${${expr}}": use \${NAME} or \${NAME:-default}, or write $\${ for a literal "\${"`,
      );
    }
    const value = env[name];
    if (sep >= 0) {
      // Like POSIX shells, `:-` treats an empty variable the same as an unset one.
      const unset = value === undefined || value === "";
      out += unset ? expr.slice(sep + 2) : value;
      fromEnv ||= !unset;
    } else if (value === undefined) {
      return missing(name);
    } else {
      out += value;
      fromEnv = true;
    }
    i = close + 1;
  }
  return { ok: true, value: out, fromEnv };
}

function fromLiteLLM(name: string, env: Env): Interpolated {
  if (!NAME.test(name)) return bad(`invalid variable name "${name}" after "${LITELLM_PREFIX}"`);
  const value = env[name];
  return value === undefined ? missing(name) : { ok: true, value, fromEnv: true };
}

function missing(name: string): Interpolated {
  // The hint matters: an optional api_key is the common case, and `:-` is the way to say so.
  return bad(
    `environment variable ${name} is not set (write \${${name}:-} to allow it to be unset)`,
  );
}

function bad(message: string): Interpolated {
  return { ok: false, message };
}
