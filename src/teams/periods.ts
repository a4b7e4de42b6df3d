/** Budget periods in UTC: the ledger bucket a moment falls in, and the one before it. */
import type { BudgetPeriod } from "../config/types";
import type { PeriodWindow } from "./types";

const DAY_MS = 86_400_000;
/** 1970-01-01 was a Thursday: days since the epoch plus this, mod 7, counts from Monday. */
const EPOCH_WEEKDAY_FROM_MONDAY = 3;

const TOTAL: PeriodWindow = Object.freeze({
  period: "total",
  id: "total",
  start: 0,
  end: Infinity,
});

/** `2026-12-08` for a Unix ms in that UTC day. */
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The period `now` falls in: `day` from 00:00 UTC, `week` from Monday 00:00 UTC, `month` from the
 * 1st 00:00 UTC, `total` from the epoch without end. Ids: `day:2026-12-08`, `week:2026-12-07`
 * (its Monday), `month:2026-12`, `total`. It formats a date: callers on the hot path keep the
 * window until `now` reaches its `end`.
 */
export function periodWindow(period: BudgetPeriod, now: number): PeriodWindow {
  switch (period) {
    case "day": {
      const start = Math.floor(now / DAY_MS) * DAY_MS;
      return { period, id: `day:${isoDay(start)}`, start, end: start + DAY_MS };
    }
    case "week": {
      const days = Math.floor(now / DAY_MS);
      const start = (days - ((days + EPOCH_WEEKDAY_FROM_MONDAY) % 7)) * DAY_MS;
      return { period, id: `week:${isoDay(start)}`, start, end: start + 7 * DAY_MS };
    }
    case "month": {
      const d = new Date(now);
      const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
      const end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
      return { period, id: `month:${isoDay(start).slice(0, 7)}`, start, end };
    }
    case "total":
      return TOTAL;
  }
}

/** The period just before `w`; `total` has none. */
export function previousWindow(w: PeriodWindow): PeriodWindow | undefined {
  return w.period === "total" ? undefined : periodWindow(w.period, w.start - 1);
}
