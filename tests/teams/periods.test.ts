import { describe, expect, test } from "bun:test";
import { periodWindow, previousWindow } from "../../src/teams/periods";

const utc = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe("budget periods (UTC)", () => {
  test("day: from 00:00 to the next 00:00", () => {
    const w = periodWindow("day", utc("2026-12-08T23:59:59.999Z"));
    expect(w.id).toBe("day:2026-12-08");
    expect([iso(w.start), iso(w.end)]).toEqual([
      "2026-12-08T00:00:00.000Z",
      "2026-12-09T00:00:00.000Z",
    ]);
    expect(periodWindow("day", utc("2026-12-09T00:00:00.000Z")).id).toBe("day:2026-12-09");
  });

  test("week: from Monday 00:00, named by its Monday", () => {
    // 2026-12-07 is a Monday, 2026-12-13 the Sunday of its week.
    for (const moment of [
      "2026-12-07T00:00:00.000Z",
      "2026-12-08T12:00:00.000Z",
      "2026-12-13T23:59:59.999Z",
    ]) {
      const w = periodWindow("week", utc(moment));
      expect(w.id).toBe("week:2026-12-07");
      expect([iso(w.start), iso(w.end)]).toEqual([
        "2026-12-07T00:00:00.000Z",
        "2026-12-14T00:00:00.000Z",
      ]);
    }
    // A week across a year's end keeps its Monday's date.
    expect(periodWindow("week", utc("2027-01-01T08:00:00Z")).id).toBe("week:2026-12-28");
    // And a Thursday, the epoch's weekday.
    expect(periodWindow("week", utc("2024-02-29T08:00:00Z")).id).toBe("week:2024-02-26");
  });

  test("month: from the 1st, of any length", () => {
    const feb = periodWindow("month", utc("2024-02-29T23:00:00Z"));
    expect(feb.id).toBe("month:2024-02");
    expect([iso(feb.start), iso(feb.end)]).toEqual([
      "2024-02-01T00:00:00.000Z",
      "2024-03-01T00:00:00.000Z",
    ]);
    const dec = periodWindow("month", utc("2026-12-31T23:59:59.999Z"));
    expect([dec.id, iso(dec.end)]).toEqual(["month:2026-12", "2027-01-01T00:00:00.000Z"]);
  });

  test("total: from the epoch, without end", () => {
    expect(periodWindow("total", utc("2026-12-08T10:00:00Z"))).toEqual({
      period: "total",
      id: "total",
      start: 0,
      end: Infinity,
    });
  });

  test("the previous period ends where the current one starts; total has none", () => {
    const now = utc("2026-03-01T05:00:00Z");
    expect(previousWindow(periodWindow("day", now))).toEqual(
      periodWindow("day", utc("2026-02-28T12:00:00Z")),
    );
    const week = previousWindow(periodWindow("week", now))!;
    expect([week.id, week.end]).toEqual(["week:2026-02-16", periodWindow("week", now).start]);
    expect(previousWindow(periodWindow("month", now))!.id).toBe("month:2026-02");
    expect(previousWindow(periodWindow("month", utc("2027-01-15T00:00:00Z")))!.id).toBe(
      "month:2026-12",
    );
    expect(previousWindow(periodWindow("total", now))).toBeUndefined();
  });
});
