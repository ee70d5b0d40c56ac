import { act, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { tokenStore } from "../api/tokens";
import { FakeWebSocket, FakeWebSocketImpl } from "../test/fakeWebSocket";
import { mockApi } from "../test/render";
import { ExecutionsTable } from "./ExecutionsTable";
import { FigureTiles } from "./FigureTiles";
import type { Figures } from "./types";
import { useLiveFigures } from "./useLiveFigures";

const FIGURES: Figures = {
  at: "2030-01-01T12:00:00Z",
  window_seconds: 3600,
  active_runs: 0,
  queued_runs: 0,
  live_sessions: 1,
  participants: { joined: 12, online: 10 },
  connections: { total: 3, by_kind: { terminal: 2, monitoring: 1 } },
  runs: 4,
  runs_finished: 4,
  runs_ok: 3,
  runs_failed: 1,
  success_rate: 0.75,
  avg_wall_ms: 420,
  p95_wall_ms: 1800,
  peak_concurrency: 2,
  errors: 0,
  system: { cpu_percent: 12, memory_percent: 40, disk_percent: 55, load_1m: 0.4, status: "healthy" },
};

function Live() {
  const live = useLiveFigures(FakeWebSocketImpl);
  return (
    <div>
      <span data-testid="state">{live.state.status}</span>
      {live.problem ? <p role="alert">{live.problem}</p> : null}
      {live.figures ? <FigureTiles figures={live.figures} /> : null}
    </div>
  );
}

describe("live figures", () => {
  beforeEach(() => {
    FakeWebSocket.reset();
    tokenStore.setPair({ access: "access-token", refresh: "refresh-token" });
  });

  it("shows each pushed figure without reloading", async () => {
    render(<Live />);
    await waitFor(() => expect(FakeWebSocket.instances).toHaveLength(1));
    const socket = FakeWebSocket.last();
    expect(socket.url).toMatch(/\/ws\/monitoring\/$/);
    expect(socket.protocols).toEqual(["observer", "bearer.access-token"]);

    act(() => {
      socket.serverOpen();
      socket.serverSend(JSON.stringify({ type: "figures", ...FIGURES }));
    });
    expect(screen.getByTestId("figure-runs-value")).toHaveTextContent("4");
    expect(screen.getByTestId("figure-success-rate-value")).toHaveTextContent("75%");
    expect(screen.getByTestId("figure-connections")).toHaveTextContent("terminal 2");

    act(() => socket.serverSend(JSON.stringify({ type: "figures", ...FIGURES, runs: 5, active_runs: 1 })));
    expect(screen.getByTestId("figure-runs-value")).toHaveTextContent("5");
    expect(screen.getByTestId("figure-active-runs-value")).toHaveTextContent("1");

    act(() => socket.serverSend(JSON.stringify({ type: "error", code: "unavailable", message: "Figures are unavailable right now." })));
    expect(screen.getByRole("alert")).toHaveTextContent("unavailable");
  });

  it("gives up on a refusal instead of retrying", async () => {
    render(<Live />);
    await waitFor(() => expect(FakeWebSocket.instances).toHaveLength(1));
    act(() => FakeWebSocket.last().serverClose(4403));
    expect(screen.getByTestId("state")).toHaveTextContent("failed");
  });
});

describe("ExecutionsTable", () => {
  it("asks the server for the chosen filters and shows the runs", async () => {
    const run = {
      id: "r1", language: "java", entry: "Main.java", backend: "fake", interactive: true, status: "timeout",
      exit_code: null, signal: 9, message: "time limit", wall_ms: 10_000, cpu_ms: 9000, peak_memory_kb: 2048,
      output_bytes: 10, queue_wait_ms: 0, created_at: new Date().toISOString(), started_at: null, finished_at: null,
      session: { id: "s1", title: "Loops" }, participant: { id: "p1", display_name: "Ada", is_guest: false }, user: null,
    };
    const fetcher = mockApi({ "GET /api/monitoring/executions": { count: 1, next: null, previous: null, results: [run] } });
    render(<ExecutionsTable refreshKey={0} sessions={[{ session_id: "s1", title: "Loops" }]} />);
    expect(await screen.findByText("Ada")).toBeInTheDocument();
    expect(screen.getByTestId("execution-row")).toHaveAttribute("data-status", "timeout");

    await userEvent.selectOptions(screen.getByLabelText("Language"), "java");
    await userEvent.selectOptions(screen.getByLabelText("Session"), "s1");
    await waitFor(() => {
      const url = String(fetcher.mock.calls.at(-1)?.[0]);
      expect(url).toContain("language=java");
      expect(url).toContain("session=s1");
      expect(url).toContain("page=1");
    });
  });
});
