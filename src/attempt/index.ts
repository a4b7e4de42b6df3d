/**
 * One try against one upstream model: passthrough when the client and the upstream speak the
 * same format, otherwise a conversion (or, for token counting, a count or an estimate).
 */
import { convert } from "./convert";
import { countTokens } from "./count-tokens";
import type { Attempt, AttemptOutcome } from "./outcome";
import { passthrough } from "./passthrough";

export function runAttempt(a: Attempt): Promise<AttemptOutcome> {
  if (a.model.apiType === a.call.client.id) return passthrough(a);
  if (a.call.op === "countTokens") return countTokens(a);
  return convert(a);
}

export {
  isKeyRejection,
  keyRejected,
  type Attempt,
  type AttemptOutcome,
  type FailedAttempt,
  type RoutedCall,
} from "./outcome";
export type { StreamEnd } from "../relay/pump";
