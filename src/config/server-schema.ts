/** TypeBox schema of `server_settings`: request and response size limits, and media downloads. */
import { Type } from "@sinclair/typebox";
import { MEDIA_DEFAULTS, SERVER_DEFAULTS } from "./defaults";
import { SIZE_PATTERN } from "./units";

/** A size setting: a positive number of bytes, or a string with a unit. */
const size = (options: { default?: string; errorMessage: string; description: string }) =>
  Type.Optional(
    Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: SIZE_PATTERN })], options),
  );

const MediaEntry = Type.Object(
  {
    download: Type.Optional(
      Type.Boolean({
        default: MEDIA_DEFAULTS.download,
        description: `Download image and document URLs for targets that cannot fetch them (Gemini; documents for OpenAI). When false, such a URL is a 400. Default ${MEDIA_DEFAULTS.download}.`,
      }),
    ),
    allow_private: Type.Optional(
      Type.Boolean({
        default: MEDIA_DEFAULTS.allow_private,
        description: `Let downloads reach loopback, private (RFC 1918), link-local, CGNAT, ULA and other internal addresses. Default ${MEDIA_DEFAULTS.allow_private}.`,
      }),
    ),
    allow_hosts: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description:
          "Host names (exact) and CIDR ranges (e.g. 10.1.0.0/16) that downloads may always reach, internal or not, e.g. an internal image store. Default none.",
      }),
    ),
    max_urls: Type.Optional(
      Type.Integer({
        minimum: 0,
        default: MEDIA_DEFAULTS.max_urls,
        description: `Most media URLs one request may make the router download. Default ${MEDIA_DEFAULTS.max_urls}.`,
      }),
    ),
    max_bytes: size({
      default: MEDIA_DEFAULTS.max_bytes,
      errorMessage: 'max_bytes must be a positive number of bytes or a size such as "20MiB"',
      description: `Most bytes all of one request's downloads may bring in together; they count in the request body budget (max_total_body_size). Default ${MEDIA_DEFAULTS.max_bytes}.`,
    }),
    timeout: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        default: MEDIA_DEFAULTS.timeout,
        description: `Seconds for all of one request's downloads together. Default ${MEDIA_DEFAULTS.timeout}.`,
      }),
    ),
  },
  {
    description:
      "Remote media (image and document URLs) the router downloads for targets that cannot fetch URLs.",
  },
);

export const ServerSettingsEntry = Type.Object(
  {
    max_body_size: size({
      default: SERVER_DEFAULTS.max_body_size,
      errorMessage:
        'max_body_size must be a positive number of bytes or a size such as "10MB", "32MiB", "512KiB" or "1GB"',
      description: `Largest accepted request body: bytes, or a size with KB/MB/GB (powers of 1000) or KiB/MiB/GiB (powers of 1024). Default ${SERVER_DEFAULTS.max_body_size}.`,
    }),
    max_total_body_size: size({
      errorMessage:
        'max_total_body_size must be a positive number of bytes or a size such as "256MiB" or "1GB"',
      description:
        "Largest total of the request bodies all requests hold at once (a parsed body takes several times its size); a body that would pass it gets 503 with Retry-After. Same units as max_body_size. Default an eighth of the memory the process may use (its cgroup limit, else the machine's), at least max_body_size.",
    }),
    body_timeout: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        default: SERVER_DEFAULTS.body_timeout,
        description: `Seconds a request body may take to arrive after its headers; slower clients get 408. Default ${SERVER_DEFAULTS.body_timeout}.`,
      }),
    ),
    max_response_size: size({
      default: SERVER_DEFAULTS.max_response_size,
      errorMessage:
        'max_response_size must be a positive number of bytes or a size such as "64MiB"',
      description: `Largest upstream body the router reads whole (JSON answers, error bodies, token counts), after decompression; a larger one fails the attempt with 502. Same units as max_body_size. Default ${SERVER_DEFAULTS.max_response_size}.`,
    }),
    stream_keepalive: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 3600,
        default: SERVER_DEFAULTS.stream_keepalive,
        description: `Seconds of silence on a converted stream after which the client gets its format's keep-alive (Anthropic's ping event, an SSE comment for the others), so agents' stream watchdogs do not abort a model that is thinking; 0 turns keep-alives off, at most 3600. Default ${SERVER_DEFAULTS.stream_keepalive}.`,
      }),
    ),
    media: Type.Optional(MediaEntry),
    metrics_public: Type.Optional(
      Type.Boolean({
        default: SERVER_DEFAULTS.metrics_public,
        description: `Serve GET /metrics without the router token (for scrapers on a trusted network). Default ${SERVER_DEFAULTS.metrics_public}.`,
      }),
    ),
  },
  { description: "HTTP server settings." },
);
