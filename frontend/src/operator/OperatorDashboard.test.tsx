import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { tokenStore } from "../api/tokens";
import { FakeWebSocket } from "../test/fakeWebSocket";
import { HEALTH, RESOURCES, statistics } from "../test/operator";
import { json, mockApi, renderAt, type Handler } from "../test/render";
import OperatorDashboard from "./OperatorDashboard";

vi.mock("./UPlotChart", () => ({ UPlotChart: ({ label }: { label: string }) => <div role="img" aria-label={label} /> }));

const serverError = () => json(500, { error: { code: "server_error", message: "Statistics are broken.", details: {} } });
const EMPTY_PAGE = { count: 0, next: null, previous: null, results: [] };

/** /api/monitoring/statistics answered per period. */
function byPeriod(answers: Record<string, Handler | object>): Handler {
  return (url, init) => {
    const period = new URL(url, "http://x").searchParams.get("period") ?? "hour";
    const answer = answers[period];
    return typeof answer === "function" ? (answer as Handler)(url, init) : json(200, answer);
  };
}

function open(statisticsRoute: Handler) {
  const fetcher = mockApi({
    "GET /api/auth/me": { id: "a1", username: "root", email: "", display_name: "Operator", role: "admin", guest: false },
    "GET /api/monitoring/statistics": statisticsRoute,
    "GET /api/monitoring/errors": EMPTY_PAGE,
    "GET /api/monitoring/health": HEALTH,
    "GET /api/monitoring/resources": RESOURCES,
    "GET /api/monitoring/executions": EMPTY_PAGE,
    "GET /api/assist/provider": () => json(404, { error: { code: "not_found", message: "No AI provider is configured here.", details: {} } }),
  });
  renderAt("/operator", [{ path: "/operator", element: <OperatorDashboard /> }]);
  return fetcher;
}

const card = (name: string) => screen.getByRole("heading", { name }).closest("section")!;

describe("OperatorDashboard", () => {
  beforeEach(() => {
    FakeWebSocket.reset();
    vi.stubGlobal("WebSocket", FakeWebSocket);
    tokenStore.setPair({ access: "a", refresh: "r" });
  });
  afterEach(() => vi.unstubAllGlobals());

  it("says so in every card fed by statistics that failed to load, with Retry", async () => {
    const fetcher = open(byPeriod({ hour: serverError, week: serverError }));
    await waitFor(() => expect(within(card("Runs per minute, last hour")).getByRole("alert")).toHaveTextContent("Statistics are broken."));
    expect(within(card("Run time, last hour")).getByRole("alert")).toHaveTextContent("Statistics are broken.");
    expect(within(card("Runs by language")).getByRole("alert")).toHaveTextContent("Statistics are broken.");
    expect(await within(card("Recent executions")).findByTestId("sessions-error")).toHaveTextContent("Statistics are broken.");

    const calls = fetcher.mock.calls.length;
    await userEvent.click(within(card("Recent executions")).getByRole("button", { name: "Retry" }));
    await waitFor(() => expect(fetcher.mock.calls.length).toBe(calls + 1));
    expect(String(fetcher.mock.calls.at(-1)![0])).toContain("period=week");
  });

  it("shows the charts, health and resources when everything loads", async () => {
    const hour = statistics({
      timeline: [{ start: "2030-01-01T11:59:00Z", counts: { ok: 2 } }],
      durations: [{ le_ms: 100, count: 2 }],
      by_language: [{ language: "python", total: 2, ok: 2, failed: 0, avg_wall_ms: 80 }],
    });
    open(byPeriod({ hour, week: statistics({ by_session: [{ session_id: "s1", title: "Loops", total: 2, ok: 2, failed: 0 }] }) }));
    expect(await screen.findByRole("img", { name: "Runs per minute by status" })).toBeInTheDocument();
    expect(screen.getByRole("img", { name: "Run time distribution" })).toBeInTheDocument();
    expect(screen.getByTestId("language-python")).toHaveTextContent("2 ok");
    expect(await screen.findByTestId("health-sandbox")).toHaveAttribute("data-status", "degraded");
    expect(screen.getByTestId("resource-disk")).toHaveTextContent("95%");
    expect(await screen.findByRole("option", { name: "Loops" })).toBeInTheDocument();
    expect(screen.queryByTestId("sessions-error")).not.toBeInTheDocument();
    expect(screen.getByText("No errors recorded")).toBeInTheDocument();
  });

  it("waits for live figures and shows them once pushed", async () => {
    open(byPeriod({ hour: statistics(), week: statistics() }));
    expect(screen.getByText("Waiting for live figures…")).toBeInTheDocument();
    await waitFor(() => expect(FakeWebSocket.instances).toHaveLength(1));
    const figures = {
      type: "figures", at: "", window_seconds: 3600, active_runs: 1, queued_runs: 0, live_sessions: 1,
      participants: { joined: 3, online: 2 }, connections: { total: 2, by_kind: {} }, runs: 7, runs_finished: 6,
      runs_ok: 5, runs_failed: 1, success_rate: 5 / 6, avg_wall_ms: 100, p95_wall_ms: 200, peak_concurrency: 2, errors: 0,
      system: { cpu_percent: 10, memory_percent: 20, disk_percent: 30, load_1m: 0.1, status: "healthy" },
    };  // prettier-ignore
    act(() => {
      FakeWebSocket.last().serverOpen();
      FakeWebSocket.last().serverSend(JSON.stringify(figures));
    });
    expect(screen.getByTestId("figure-runs-value")).toHaveTextContent("7");
  });

  it("reloads the executions after a run even when more pushes follow at once", async () => {
    const fetcher = open(byPeriod({ hour: statistics(), week: statistics() }));
    await waitFor(() => expect(FakeWebSocket.instances).toHaveLength(1));
    const figures = {
      type: "figures", at: "", window_seconds: 3600, active_runs: 0, queued_runs: 0, live_sessions: 1,
      participants: { joined: 3, online: 2 }, connections: { total: 2, by_kind: {} }, runs: 7, runs_finished: 7,
      runs_ok: 7, runs_failed: 0, success_rate: 1, avg_wall_ms: 100, p95_wall_ms: 200, peak_concurrency: 2, errors: 0,
      system: { cpu_percent: 10, memory_percent: 20, disk_percent: 30, load_1m: 0.1, status: "healthy" },
    };  // prettier-ignore
    const socket = FakeWebSocket.last();
    act(() => {
      socket.serverOpen();
      socket.serverSend(JSON.stringify(figures));
    });
    const executions = () => fetcher.mock.calls.filter(([url]) => String(url).includes("/api/monitoring/executions")).length;
    await waitFor(() => expect(executions()).toBe(1));
    // A run ends, then the next push (a tick, another socket's event) says nothing new.
    act(() => socket.serverSend(JSON.stringify({ ...figures, runs: 8, runs_finished: 8, runs_ok: 8 })));
    act(() => socket.serverSend(JSON.stringify({ ...figures, runs: 8, runs_finished: 8, runs_ok: 8, at: "later" })));
    await waitFor(() => expect(executions()).toBe(2), { timeout: 3000 });
  });
});
