import { own } from "../lookup";
import { isObject } from "../read";
import { freeformInput } from "./output-items";

/**
 * A freeform call's text, read out of its IR arguments as they stream: the JSON of
 * `{"input": "<text>"}`, in fragments cut anywhere (inside an escape, between the halves of a
 * surrogate pair). Each fragment yields the text it completes, so a Responses client sees the
 * patch grow as the model writes it. Arguments of another shape are not guessed at: their text
 * goes out whole at the end, from the parsed JSON.
 */

/** How far the reader got: before the text, inside it, after it, or given up. */
type Stage = "head" | "text" | "tail" | "lost";

const HEAD = '{"input":"';
/** Positions in HEAD before which JSON allows whitespace: before `{`, after `{`, after the key, after `:`. */
const SPACE_ALLOWED = [true, true, false, false, false, false, false, false, true, true];
const SPACE = /[ \t\n\r]/;

const ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

export class FreeformText {
  private stage: Stage = "head";
  private matched = 0;
  /** An escape begun in one fragment and finished in the next (`\`, `\u00`). */
  private escape = "";
  /** A high surrogate held until its pair arrives: a lone one is not valid text for every client. */
  private high = "";
  private readonly sent: string[] = [];

  /** The text this fragment adds to what went out ("" when nothing more is certain yet). */
  push(fragment: string): string {
    let i = 0;
    if (this.stage === "head") i = this.head(fragment);
    if (this.stage !== "text") return "";
    const text = this.text(fragment, i);
    if (text) this.sent.push(text);
    return text;
  }

  /**
   * The call's whole input, from its whole arguments text, and the part of it that did not go
   * out yet. Arguments that are not JSON (a cut stream) keep the text read so far.
   */
  finish(raw: string): { input: string; rest: string } {
    const sent = this.sent.join("");
    let input: string;
    try {
      const args: unknown = JSON.parse(raw);
      input = isObject(args) ? freeformInput(args) : raw;
    } catch {
      input = this.stage === "text" || this.stage === "tail" ? sent + this.high : raw;
    }
    return { input, rest: input.startsWith(sent) ? input.slice(sent.length) : "" };
  }

  /** Matches the opening `{"input":"`; returns where the text starts. */
  private head(s: string): number {
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!;
      if (SPACE_ALLOWED[this.matched] && SPACE.test(c)) continue;
      if (c !== HEAD[this.matched]) {
        this.stage = "lost";
        return s.length;
      }
      if (++this.matched === HEAD.length) {
        this.stage = "text";
        return i + 1;
      }
    }
    return s.length;
  }

  /** Decodes the string's characters from `from`, up to its closing quote. */
  private text(s: string, from: number): string {
    let out = this.high;
    this.high = "";
    let i = from;
    while (i < s.length && this.stage === "text") {
      if (this.escape !== "") {
        this.escape += s[i++];
        out += this.unescape();
        continue;
      }
      let j = i;
      for (; j < s.length; j++) {
        const c = s.charCodeAt(j);
        if (c === 34 || c === 92) break; // `"` or `\`
      }
      out += s.slice(i, j);
      if (j === s.length) break;
      if (s.charCodeAt(j) === 34) this.stage = "tail";
      else this.escape = "\\";
      i = j + 1;
    }
    const last = out.charCodeAt(out.length - 1);
    if (this.stage === "text" && last >= 0xd800 && last <= 0xdbff) {
      this.high = out.slice(-1);
      out = out.slice(0, -1);
    }
    return out;
  }

  /** The character of a finished escape ("" while it is still incomplete). */
  private unescape(): string {
    const e = this.escape;
    if (e.length === 2 && e[1] !== "u") {
      this.escape = "";
      const c = own(ESCAPES, e[1]);
      if (c === undefined) this.stage = "lost";
      return c ?? "";
    }
    if (e.length < 6) return "";
    this.escape = "";
    if (!/^\\u[0-9a-fA-F]{4}$/.test(e)) {
      this.stage = "lost";
      return "";
    }
    return String.fromCharCode(parseInt(e.slice(2), 16));
  }
}
