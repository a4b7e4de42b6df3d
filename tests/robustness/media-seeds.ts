import type { ApiType } from "../../src/config/types";

/**
 * A request naming hundreds of image URLs (on loopback, port 9: nothing answers there). A target
 * that needs them downloaded must refuse the request whole and at once (max_urls), before any
 * connection; targets that take URLs themselves get them passed on.
 */
export function hugeMediaSeed(
  format: ApiType,
  model: string,
  count = 300,
): Record<string, unknown> {
  const urls = Array.from({ length: count }, (_, i) => `http://127.0.0.1:9/media-${i}.png`);
  if (format === "openai") {
    return {
      model,
      max_tokens: 64,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "describe these" },
            ...urls.map((url) => ({ type: "image_url", image_url: { url } })),
          ],
        },
      ],
    };
  }
  if (format === "anthropic") {
    return {
      model,
      max_tokens: 64,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "describe these" },
            ...urls.map((url) => ({ type: "image", source: { type: "url", url } })),
          ],
        },
      ],
    };
  }
  if (format === "responses") {
    return {
      model,
      max_output_tokens: 64,
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text: "describe these" },
            ...urls.map((url) => ({ type: "input_image", image_url: url })),
          ],
        },
      ],
    };
  }
  return {
    contents: [
      {
        role: "user",
        parts: [
          { text: "describe these" },
          ...urls.map((fileUri) => ({ fileData: { mimeType: "image/png", fileUri } })),
        ],
      },
    ],
    generationConfig: { maxOutputTokens: 64 },
  };
}
