// The contract between the provider mock server (server.ts) and the provider profiles.

/** A request as the mock received it. */
export interface Seen {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: any;
  /** The status the mock answered with (200, or the refusal's). */
  status: number;
  /** The refusal's message, when the mock refused. */
  refused?: string;
}

/** A refusal in the provider's words; the profile renders it in the provider's error shape. */
export interface Refusal {
  status: number;
  message: string;
  /** The provider's error code, where its error bodies carry one. */
  code?: string;
}

/** What the mock answers with: a JSON body, or a whole SSE text (recorded frames). */
export type Answer = { json: unknown } | { sse: string };

/**
 * One provider, as strict as it is where a recipe depends on it: the path under its api_base,
 * the header its key travels in (or none, for a local server), the request fields it refuses,
 * and answers shaped like its own.
 */
export interface Profile {
  name: string;
  api: "openai" | "anthropic";
  /** The path part of the provider's api_base; the mock serves the API under it. */
  basePath: string;
  /** The key it expects; undefined for a server that takes none (Ollama, vLLM without --api-key). */
  key?: string;
  /** Where the key goes: Bearer, Anthropic's x-api-key, or Azure's api-key (Bearer accepted too). */
  auth: "bearer" | "x-api-key" | "azure";
  /** The model ids it serves; anything else is refused as an unknown model. */
  models: string[];
  /** Its error body for a refusal. */
  errorBody(refusal: Refusal): unknown;
  /** Its own refusals of a request it can parse: the quirks. */
  refuse?(body: any, seen: Seen): Refusal | undefined;
  answer(body: any): Answer;
}

export interface ProviderMock {
  profile: Profile;
  /** scheme://host:port, to put in place of the provider's own in an api_base. */
  origin: string;
  requests: Seen[];
  stop(): Promise<void>;
}
