import type { RouterError } from "../../ir";
import { decodeError as decodeOpenAIError } from "../openai/error-decode";

export function decodeError(status: number, body: string, headers: Headers): RouterError {
  return decodeOpenAIError(status, body, headers);
}
