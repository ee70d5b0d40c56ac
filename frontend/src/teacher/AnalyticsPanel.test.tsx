import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Analytics } from "../api/types";
import { tokenStore } from "../api/tokens";
import { json, mockApi } from "../test/render";
import { AnalyticsPanel } from "./AnalyticsPanel";

const analytics: Analytics = {
  session: { participants: 2, runs: 9, failed_runs: 4, active_seconds: 5400, unknown_key: 3, title: "Loops" },
  students: [
    {
      participant_id: "p1", display_name: "Ada", active_seconds: 3600, runs: 6,
      runs_by_status: { ok: 3, killed: 1, "runtime-error": 1, timeout: 1 },
      last_error: "\u001b[31mZeroDivisionError\u001b[0m: division by zero", chars_typed: 420, help_requests: 1,
    },
    { participant_id: "p2", display_name: "Bob", active_seconds: 45, runs: 0, runs_by_status: {}, last_error: null, chars_typed: 0, help_requests: 0 },
  ],
};  // prettier-ignore

function row(name: string) {
  return within(screen.getByRole("button", { name }).closest("tr")!).getAllByRole("cell").map((cell) => cell.textContent?.trim());
}

describe("AnalyticsPanel", () => {
  beforeEach(() => tokenStore.setPair({ access: "a", refresh: "r" }));

  it("shows each student's figures and the session's totals it can name", async () => {
    mockApi({ "GET /api/sessions/s1/analytics": analytics });
    render(<AnalyticsPanel sessionId="s1" onOpenStudent={() => undefined} />);
    expect(await screen.findByTestId("analytics")).toBeInTheDocument();
    // Failed = every status but ok and killed (a stopped run is not the student's error).
    expect(row("Ada")).toEqual(["Ada", "1 h 0 min", "6", "2", "420", "1", "ZeroDivisionError: division by zero"]);
    expect(row("Bob")).toEqual(["Bob", "45 s", "0", "0", "0", "0", "—"]);
    const totals = screen.getByTestId("analytics-totals");
    expect(totals).toHaveTextContent("2Students");
    expect(totals).toHaveTextContent("4Failed runs");
    expect(totals).toHaveTextContent("1 h 30 minActive time");
    expect(totals).not.toHaveTextContent("unknown_key");
  });

  it("opens a student from their name and refreshes on demand", async () => {
    const fetcher = mockApi({ "GET /api/sessions/s1/analytics": analytics });
    const onOpen = vi.fn();
    render(<AnalyticsPanel sessionId="s1" onOpenStudent={onOpen} />);
    await userEvent.click(await screen.findByRole("button", { name: "Bob" }));
    expect(onOpen).toHaveBeenCalledWith("p2");
    await userEvent.click(screen.getByRole("button", { name: "Refresh" }));
    expect(fetcher).toHaveBeenCalledTimes(2);
  });

  it("has an empty state and an error state with Retry", async () => {
    mockApi({ "GET /api/sessions/s1/analytics": { session: {}, students: [] } });
    const { unmount } = render(<AnalyticsPanel sessionId="s1" onOpenStudent={() => undefined} />);
    expect(await screen.findByText("No activity yet")).toBeInTheDocument();
    unmount();

    mockApi({ "GET /api/sessions/s1/analytics": () => json(403, { error: { code: "permission_denied", message: "Not your session.", details: {} } }) });
    render(<AnalyticsPanel sessionId="s1" onOpenStudent={() => undefined} />);
    expect(await screen.findByRole("alert")).toHaveTextContent("Not your session.");
    expect(screen.getByRole("button", { name: "Retry" })).toBeInTheDocument();
  });
});
