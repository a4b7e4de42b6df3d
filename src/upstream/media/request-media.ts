import type { MediaSettings, ModelConfig } from "../../config/types";
import {
  routerError,
  type IRRequest,
  type MediaPart,
  type Message,
  type RouterError,
} from "../../ir";
import type { Logger } from "../../log";
import { addressPolicy } from "./address-guard";
import { systemLookup, type Lookup } from "./destination";
import { download, type Downloaded, type DownloadEnv } from "./download";

/** Downloads one request runs at once. */
const CONCURRENCY = 4;

/** URLs in messages to the client are cut to this many characters. */
const URL_SHOWN = 100;

/** The memory all request bodies share (core/body-budget.ts); downloads count in it too. */
export interface SharedBudget {
  budget: { reserve(bytes: number, limit: number): boolean; release(bytes: number): void };
  limit: number;
}

const BUSY =
  "the router holds its limit of request bodies and media (server_settings.max_total_body_size)";
const TIMED_OUT = new Error("the request's downloads ran out of time");
const FAILED = new Error("another download of the request failed");
const OVER = new Error("the request is over");
const REMOTE = /^https?:\/\//i;

/**
 * The remote media of one request: what it downloads, once per URL however many failover attempts
 * need it, under the request's limits (`server_settings.media`: URL count, bytes, one time budget)
 * and at most four at a time. The bytes count in the shared body budget until release().
 *
 * The client learns only which media could not be downloaded, never why: a refused address, a
 * timeout and a 404 read the same, so the router cannot be used to scan the network it sits in.
 * The reason goes to the log.
 */
export class RequestMedia {
  private readonly results = new Map<string, Promise<Downloaded>>();
  /** Made on the first download: most requests have none, and this object is made for each. */
  private stopper: { stop: AbortController; signal: AbortSignal } | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Of `timeout`: only time spent downloading counts, not an upstream attempt between two rounds. */
  private timeLeftMs: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private taken = 0;
  private held = 0;
  private over = false;

  constructor(
    private readonly settings: MediaSettings,
    private readonly client: AbortSignal,
    private readonly shared?: SharedBudget,
    private readonly lookup: Lookup = systemLookup,
  ) {
    this.timeLeftMs = settings.timeoutMs;
  }

  /**
   * Replaces the http(s) URL of each media part of `ir` that `wants` selects (the target cannot
   * fetch it) with the downloaded bytes. An error when any of them cannot be had.
   */
  async inline(
    ir: IRRequest,
    wants: (part: MediaPart) => boolean,
    model: ModelConfig,
    log: Logger,
    group: string,
  ): Promise<RouterError | undefined> {
    const all = remoteMedia(ir.messages);
    const needed = all.filter(wants);
    if (needed.length === 0) return undefined;
    // The number the client sees: the part's place among all of the request's media URLs.
    const numberOf = (url: string) => all.findIndex((p) => p.url === url) + 1;
    const urls = [...new Set(needed.map((p) => p.url!))];
    if (!this.settings.download) {
      const url = urls[0]!;
      return routerError(
        "invalid_request",
        `media #${numberOf(url)} (${clip(url)}) must be downloaded for this model, and the router's media downloads are turned off (server_settings.media.download)`,
      );
    }
    if (urls.length > this.settings.maxUrls) {
      return routerError(
        "invalid_request",
        `this request has ${urls.length} media URLs to download; the router downloads at most ${this.settings.maxUrls} per request (server_settings.media.max_urls)`,
      );
    }

    const got = new Map<string, { data: string; mime: string }>();
    const failure = await this.timed(urls, () => {
      const env = this.env(model);
      return firstFailure(
        urls.map((url) =>
          this.once(url, env).then((r) =>
            "failure" in r ? { url, why: r.failure } : void got.set(url, r),
          ),
        ),
      );
    });
    if (failure) {
      const { stop } = this.stopping();
      stop.abort(FAILED); // the request fails: what is still downloading is not needed
      if (this.client.aborted)
        return routerError("invalid_request", "client closed the request", { status: 499 });
      const why =
        stop.signal.reason === TIMED_OUT
          ? `${TIMED_OUT.message} (${this.settings.timeoutMs / 1000} s)`
          : failure.why;
      const n = numberOf(failure.url);
      log.warn("media download failed", {
        group,
        model: model.name,
        media: n,
        url: clip(failure.url),
        reason: why,
      });
      if (why === BUSY)
        return routerError(
          "overloaded",
          `could not download media #${n} (${clip(failure.url)}): the router is busy; retry shortly`,
          { retryAfter: "1" },
        );
      return routerError(
        "invalid_request",
        `could not download media #${n} (${clip(failure.url)})`,
      );
    }
    for (const part of needed) {
      const { data, mime } = got.get(part.url!)!;
      part.data = data;
      part.mime = mime;
      part.url = undefined;
    }
    return undefined;
  }

  /** The request is over: stops what still runs and gives the bytes back to the body budget. */
  release(): void {
    this.over = true;
    clearTimeout(this.timer);
    this.stopper?.stop.abort(OVER);
    this.results.clear();
    this.shared?.budget.release(this.held);
    this.held = 0;
  }

  private once(url: string, env: DownloadEnv): Promise<Downloaded> {
    let result = this.results.get(url);
    if (!result) {
      result = this.limited(() => download(url, env));
      this.results.set(url, result);
    }
    return result;
  }

  /** Runs `work` on the request's download clock when any of `urls` is not downloaded yet. */
  private async timed<T>(urls: string[], work: () => Promise<T>): Promise<T> {
    if (urls.every((u) => this.results.has(u))) return work();
    const started = performance.now();
    const { stop } = this.stopping();
    this.timer = setTimeout(() => stop.abort(TIMED_OUT), Math.max(0, this.timeLeftMs));
    try {
      return await work();
    } finally {
      clearTimeout(this.timer);
      this.timeLeftMs -= performance.now() - started;
    }
  }

  /** What stops the request's downloads: the client going away, the clock, a failure, the end. */
  private stopping(): { stop: AbortController; signal: AbortSignal } {
    if (!this.stopper) {
      const stop = new AbortController();
      this.stopper = { stop, signal: AbortSignal.any([this.client, stop.signal]) };
    }
    return this.stopper;
  }

  private env(model: ModelConfig): DownloadEnv {
    return {
      policy: addressPolicy(this.settings),
      proxy: model.proxy,
      lookup: this.lookup,
      signal: this.stopping().signal,
      room: () => this.settings.maxBytes - this.taken,
      take: (bytes) => this.take(bytes),
    };
  }

  private take(bytes: number): string | undefined {
    if (this.over) return OVER.message;
    this.taken += bytes;
    if (this.taken > this.settings.maxBytes)
      return `the request's downloads passed ${this.settings.maxBytes} bytes (server_settings.media.max_bytes)`;
    if (this.shared && !this.shared.budget.reserve(bytes, this.shared.limit)) return BUSY;
    this.held += bytes;
    return undefined;
  }

  private async limited<T>(work: () => Promise<T>): Promise<T> {
    while (this.running >= CONCURRENCY) await new Promise<void>((wake) => this.waiting.push(wake));
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

/** Media parts whose source is an http(s) URL, in the order the request has them. */
function remoteMedia(messages: Message[]): MediaPart[] {
  const out: MediaPart[] = [];
  const add = (p: MediaPart) =>
    p.data === undefined && p.url !== undefined && REMOTE.test(p.url) && out.push(p);
  for (const m of messages) {
    for (const p of m.parts) {
      if (p.type === "image" || p.type === "file") add(p);
      else if (p.type === "tool_result") for (const c of p.content) if (c.type !== "text") add(c);
    }
  }
  return out;
}

/** Settles with the first defined outcome, or undefined once all are undefined. */
function firstFailure<T>(outcomes: Promise<T | undefined>[]): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    let left = outcomes.length;
    for (const o of outcomes) {
      o.then((v) => {
        if (v !== undefined) resolve(v);
        else if (--left === 0) resolve(undefined);
      }, reject);
    }
  });
}

function clip(url: string): string {
  return url.length > URL_SHOWN ? `${url.slice(0, URL_SHOWN)}…` : url;
}
