/**
 * Where the normaliser's findings go: every issue and warning is collected (the load fails only at
 * the end, so the user sees all of them) with its dotted path and its position in the file.
 */
import { dotted, findLocation, type Location } from "./positions";
import type { ConfigIssue, ConfigIssueCode, SourcePos } from "./types";

/** Collects issues and warnings, resolving JSON pointers to dotted paths and file positions. */
export class Reporter {
  readonly issues: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];
  /** `file`: set for a keys_file, whose issues name it instead of the config file. */
  constructor(
    readonly data: unknown,
    private readonly locations: Map<string, Location>,
    readonly file?: string,
  ) {}

  /** Value position by default; `preferKey` for problems about the key itself (unknown, missing). */
  pos(pointer: string, preferKey = false): SourcePos | undefined {
    const loc = findLocation(this.locations, pointer);
    return preferKey ? (loc.keyPos ?? loc.pos) : (loc.pos ?? loc.keyPos);
  }
  path(pointer: string): string {
    return dotted(pointer, this.data);
  }
  /** The `${VAR}` text a value came from, when it came from the environment. */
  raw(pointer: string): string | undefined {
    return this.locations.get(pointer)?.raw;
  }
  /** A value as messages may quote it: its `${VAR}` when it came from the environment (often a key). */
  quote(pointer: string, value: unknown): string {
    return this.raw(pointer) ?? JSON.stringify(value);
  }
  error(code: ConfigIssueCode, pointer: string, message: string, preferKey = false): void {
    this.issues.push({
      code,
      path: this.path(pointer),
      pos: this.pos(pointer, preferKey),
      message,
      ...this.inFile(),
    });
  }
  warn(code: ConfigIssueCode, pointer: string, message: string): void {
    const pos = this.pos(pointer, true);
    this.warnings.push({ code, path: this.path(pointer), pos, message, ...this.inFile() });
  }
  /** For problems inside a JSON string: the path goes into the JSON, the position is the string's. */
  errorInside(
    code: ConfigIssueCode,
    pointer: string,
    json: unknown,
    sub: string,
    message: string,
  ): void {
    this.issues.push({
      code,
      path: dotted(sub, json, this.path(pointer)),
      pos: this.pos(pointer),
      message,
      ...this.inFile(),
    });
  }
  private inFile(): { file?: string } {
    return this.file ? { file: this.file } : {};
  }
}
