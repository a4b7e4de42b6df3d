/**
 * A reasoning item goes back to OpenAI as it came: its `id` with its `encrypted_content` (Codex
 * replays both, and the API's reasoning input item requires the id). The IR keeps one signature
 * value per reasoning part, and a client of another format hands that value back as it got it,
 * so the id travels inside it: "<id> <encrypted_content>". Neither an item id nor
 * encrypted_content (URL-safe base64) holds a space; a value without one is a bare
 * encrypted_content.
 */
export function sealReasoning(id: string | undefined, encrypted: string): string {
  return id ? `${id} ${encrypted}` : encrypted;
}

export function unsealReasoning(value: string): { id?: string; encrypted: string } {
  const space = value.indexOf(" ");
  return space > 0
    ? { id: value.slice(0, space), encrypted: value.slice(space + 1) }
    : { encrypted: value };
}
