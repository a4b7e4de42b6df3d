/**
 * A JSON object document with members added at its start, as bytes: every other byte is copied as
 * it came. For keys the document does not have (the caller checked its parse), or the object would
 * name a key twice. Undefined when the document is not an object.
 */
export function withLeadingMembers(
  doc: Uint8Array,
  members: Record<string, unknown>,
): Uint8Array | undefined {
  const inner = JSON.stringify(members).slice(1, -1);
  let open = 0;
  while (open < doc.length && isSpace(doc[open]!)) open++;
  if (doc[open] !== OPEN_OBJECT) return undefined;
  if (inner === "") return doc;
  let next = open + 1;
  while (next < doc.length && isSpace(doc[next]!)) next++;
  const added = encoder.encode(doc[next] === CLOSE_OBJECT ? inner : `${inner},`);
  const out = new Uint8Array(doc.length + added.length);
  out.set(doc.subarray(0, open + 1));
  out.set(added, open + 1);
  out.set(doc.subarray(open + 1), open + 1 + added.length);
  return out;
}

const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
const encoder = new TextEncoder();
