// @vitest-environment node
import { describe, expect, it } from "vitest";
import { contrastRatio } from "../theme/theme";
import {
  durationLabel,
  formatBytes,
  formatMs,
  formatRate,
  historyChanged,
  sinceFor,
  stackTimeline,
  STATUS_COLORS,
  statusColor,
  statusTextColor,
} from "./format";
import type { Figures } from "./types";

describe("number formats", () => {
  it("shows run times in the unit that reads best", () => {
    expect(formatMs(null)).toBe("–");
    expect(formatMs(87.4)).toBe("87 ms");
    expect(formatMs(1530)).toBe("1.53 s");
    expect(formatMs(45_000)).toBe("45.0 s");
    expect(formatMs(150_000)).toBe("2.5 min");
  });

  it("shows rates and sizes", () => {
    expect(formatRate(null)).toBe("–");
    expect(formatRate(1)).toBe("100%");
    expect(formatRate(0.8333)).toBe("83.3%");
    expect(formatRate(0.75)).toBe("75%");
    expect(formatRate(0.9995)).toBe("99.9%");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(3 * 1024 * 1024)).toBe("3.0 MB");
  });

  it("labels run-time buckets, the last one open-ended", () => {
    expect(durationLabel(100, null)).toBe("≤ 100 ms");
    expect(durationLabel(null, 30_000)).toBe("> 30.0 s");
  });

  it("computes the start of a period", () => {
    expect(sinceFor("hour", Date.parse("2030-01-01T12:00:00Z"))).toBe("2030-01-01T11:00:00.000Z");
  });
});

describe("stackTimeline", () => {
  it("stacks statuses per minute with successes at the bottom", () => {
    const { xs, series } = stackTimeline([
      { start: "2030-01-01T12:00:00+00:00", counts: { timeout: 1, ok: 2 } },
      { start: "2030-01-01T12:01:00+00:00", counts: {} },
      { start: "2030-01-01T12:02:00+00:00", counts: { ok: 1, "weird-status": 4 } },
    ]);
    expect(xs).toEqual([1893499200, 1893499260, 1893499320]);
    expect(series.map((s) => s.status)).toEqual(["ok", "timeout", "weird-status"]);
    expect(series[0]?.top).toEqual([2, 0, 1]);
    expect(series[1]?.top).toEqual([3, 0, 1]);
    expect(series[2]?.counts).toEqual([0, 0, 4]);
    expect(series[2]?.top).toEqual([3, 0, 5]);
  });
});

describe("historyChanged", () => {
  const base = { runs: 3, runs_finished: 3, active_runs: 0, errors: 0 } as Figures;
  it("asks for fresh history only when runs or errors moved", () => {
    expect(historyChanged(null, base)).toBe(false);
    expect(historyChanged(base, { ...base, at: "later" } as Figures)).toBe(false);
    expect(historyChanged(base, { ...base, runs: 4 })).toBe(true);
    expect(historyChanged(base, { ...base, active_runs: 1 })).toBe(true);
  });
});

describe("status pills", () => {
  it("read at WCAG AA for every status, known or not", () => {
    for (const status of [...Object.keys(STATUS_COLORS), "something-new"]) {
      expect(contrastRatio(statusTextColor(status), statusColor(status)), status).toBeGreaterThanOrEqual(4.5);
    }
  });
});
