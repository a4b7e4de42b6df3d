import { describe, expect, test } from "bun:test";
import { acceptableType, sniffMedia } from "../../../src/upstream/media/sniff";

/** What a downloaded body must look like: its declared type and its first bytes must agree. */

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(
    parts.map((p) => (typeof p === "string" ? Buffer.from(p, "latin1") : Buffer.from(p))),
  );

const SAMPLES: [string, Buffer, string][] = [
  ["PNG", bytes([0x89], "PNG\r\n\x1a\n", "\0\0\0\rIHDR"), "image/png"],
  ["JPEG", bytes([0xff, 0xd8, 0xff, 0xe0], "\0\x10JFIF\0\x01\x01\0\0"), "image/jpeg"],
  ["GIF", bytes("GIF89a\x01\0\x01\0\x80\0\0\0\0\0"), "image/gif"],
  ["WebP", bytes("RIFF\x24\0\0\0WEBPVP8 "), "image/webp"],
  ["HEIC", bytes("\0\0\0\x18ftypheic\0\0\0\0"), "image/heic"],
  ["HEIF", bytes("\0\0\0\x18ftypmif1\0\0\0\0"), "image/heif"],
  ["AVIF", bytes("\0\0\0\x1cftypavif\0\0\0\0"), "image/avif"],
  ["PDF", bytes("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), "application/pdf"],
  ["WAV", bytes("RIFF\x24\0\0\0WAVEfmt "), "audio/wav"],
  ["MP3 with ID3", bytes("ID3\x04\0\0\0\0\0\0\0\0\0\0\0\0"), "audio/mpeg"],
  ["MP3 frame", bytes([0xff, 0xfb, 0x90, 0x64], "\0\0\0\0\0\0\0\0\0\0\0\0"), "audio/mpeg"],
];

describe("sniffMedia", () => {
  test.each(SAMPLES)(
    "%s is recognised under a generic type and under its own",
    (_name, head, type) => {
      expect(sniffMedia(head, "application/octet-stream")).toBe(type);
      expect(sniffMedia(head, null)).toBe(type);
      expect(sniffMedia(head, `${type}; charset=binary`)).toBe(type);
    },
  );

  test.each([
    ["HTML", "<!DOCTYPE html><html>"],
    ["JSON", '{"Code":"Success","AccessKeyId":"x"}'],
    ["XML", '<?xml version="1.0"?><a/>'],
    ["text", "ami-id\ninstance-id\nhostname"],
    ["an MP4 video", "\0\0\0\x18ftypisom\0\0\0\0"],
    ["empty", ""],
  ])("%s is not media, whatever it claims", (_name, text) => {
    for (const type of ["image/png", "application/pdf", "audio/mpeg", null])
      expect(sniffMedia(Buffer.from(text, "latin1"), type)).toBeUndefined();
  });

  test("bytes of one family under another family's type are refused", () => {
    expect(sniffMedia(SAMPLES[7]![1], "image/png")).toBeUndefined(); // a PDF called an image
    expect(sniffMedia(SAMPLES[0]![1], "audio/mpeg")).toBeUndefined(); // a PNG called audio
    expect(sniffMedia(SAMPLES[0]![1], "image/jpeg")).toBe("image/png"); // within a family the bytes decide
  });
});

describe("acceptableType", () => {
  test.each([
    ["image/png"],
    ["IMAGE/JPEG; q=1"],
    ["application/pdf"],
    ["audio/wav"],
    ["application/octet-stream"],
    [""],
    [null],
  ])("%p may be a media download", (type) => {
    expect(acceptableType(type)).toBe(true);
  });
  test.each([
    ["text/html"],
    ["application/json"],
    ["text/plain"],
    ["application/xml"],
    ["image/svg+xml"],
    ["video/mp4"],
    ["multipart/mixed"],
  ])("%p may not", (type) => {
    expect(acceptableType(type)).toBe(false);
  });
});
