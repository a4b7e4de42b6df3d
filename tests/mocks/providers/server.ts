import type { Profile, ProviderMock, Refusal, Seen } from "./types";

/**
 * A provider's API on 127.0.0.1, as one profile describes it. Checks in the order the providers
 * do: the path (an api_base with a wrong path prefix gets a 404), the key, the body, the model,
 * then the profile's own refusals; what passes gets the profile's answer. Every request is kept.
 */
export function startProvider(profile: Profile): ProviderMock {
  const requests: Seen[] = [];
  const endpoint =
    profile.basePath + (profile.api === "openai" ? "/chat/completions" : "/v1/messages");

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const text = await req.text();
      const seen: Seen = {
        method: req.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: Object.fromEntries(req.headers),
        body: undefined,
        status: 200,
      };
      requests.push(seen);
      const refusal = check(seen, url, text);
      if (refusal) {
        seen.status = refusal.status;
        seen.refused = refusal.message;
        return Response.json(profile.errorBody(refusal), { status: refusal.status });
      }
      const answer = profile.answer(seen.body);
      if ("json" in answer) return Response.json(answer.json);
      return new Response(answer.sse, {
        headers: {
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-cache",
        },
      });
    },
  });

  function check(seen: Seen, url: URL, text: string): Refusal | undefined {
    if (seen.method !== "POST" || url.pathname !== endpoint)
      return {
        status: 404,
        message: `no such endpoint: ${seen.method} ${url.pathname}${url.search}`,
      };
    if (!authorized(seen.headers))
      return { status: 401, message: "invalid or missing API key", code: "401" };
    try {
      seen.body = JSON.parse(text);
    } catch {
      return { status: 400, message: "the body is not JSON" };
    }
    const model = seen.body?.model;
    if (!profile.models.includes(model))
      return { status: 404, message: `model ${JSON.stringify(model)} not found`, code: "404" };
    if (!Array.isArray(seen.body.messages) || seen.body.messages.length === 0)
      return { status: 400, message: "messages must be a non-empty array" };
    return profile.refuse?.(seen.body, seen);
  }

  function authorized(h: Record<string, string>): boolean {
    const { key } = profile;
    // A server started without a key ignores whatever comes; the tests check nothing came.
    if (key === undefined) return true;
    const bearer = h.authorization === `Bearer ${key}`;
    if (profile.auth === "bearer") return bearer;
    if (profile.auth === "x-api-key") return h["x-api-key"] === key || bearer;
    return h["api-key"] === key || bearer;
  }

  return {
    profile,
    origin: `http://127.0.0.1:${server.port}`,
    requests,
    stop: () => server.stop(true),
  };
}
