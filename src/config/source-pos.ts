/** Where a value sits in config.yaml, for messages that point the user at the right line. */
export interface SourcePos {
  line: number; // 1-based
  col: number; // 1-based
}
