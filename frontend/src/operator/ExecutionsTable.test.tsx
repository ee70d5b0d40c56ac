import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { mockApi } from "../test/render";
import { queryFor, NO_FILTERS } from "./ExecutionFilterBar";
import { ExecutionsTable } from "./ExecutionsTable";
import type { Execution } from "./types";

function run(id: string, patch: Partial<Execution> = {}): Execution {
  return {
    id, language: "python", entry: "main.py", backend: "fake", interactive: true, status: "ok", exit_code: 0, signal: null,
    message: "", wall_ms: 120, cpu_ms: 100, peak_memory_kb: 2048, output_bytes: 10, queue_wait_ms: 0,
    created_at: new Date().toISOString(), started_at: null, finished_at: null, session: { id: "s1", title: "Loops" },
    participant: null, user: null, ...patch,
  };  // prettier-ignore
}

const ada = run("r1", { participant: { id: "p1", display_name: "Ada", is_guest: false }, user: { id: "u1", username: "ada" } });
const guest = run("r2", { participant: { id: "p2", display_name: "Guest Bob", is_guest: true } });

function serve() {
  return mockApi({ "GET /api/monitoring/executions": { count: 2, next: null, previous: null, results: [ada, guest] } });
}

const lastQuery = (fetcher: ReturnType<typeof serve>) => new URL(String(fetcher.mock.calls.at(-1)![0]), "http://x").searchParams;

describe("ExecutionsTable filters", () => {
  it("filters by a registered user across sessions, or by a guest's seat, from the Who column", async () => {
    const fetcher = serve();
    render(<ExecutionsTable refreshKey={0} sessions={[]} />);
    await userEvent.click(await screen.findByRole("button", { name: "Ada" }));
    await waitFor(() => expect(lastQuery(fetcher).get("user")).toBe("u1"));
    expect(lastQuery(fetcher).get("participant")).toBeNull();
    expect(lastQuery(fetcher).get("page")).toBe("1");
    expect(screen.getByTestId("person-filter")).toHaveTextContent("Who: Ada");

    await userEvent.click(screen.getByRole("button", { name: "Guest Bob" }));
    await waitFor(() => expect(lastQuery(fetcher).get("participant")).toBe("p2"));
    expect(lastQuery(fetcher).get("user")).toBeNull();

    await userEvent.click(screen.getByRole("button", { name: "Show everyone's runs" }));
    await waitFor(() => expect(lastQuery(fetcher).get("participant")).toBeNull());
    expect(screen.queryByTestId("person-filter")).not.toBeInTheDocument();
  });

  it("asks for a custom time range as ISO times", async () => {
    const fetcher = serve();
    render(<ExecutionsTable refreshKey={0} sessions={[]} />);
    await screen.findByRole("button", { name: "Ada" });
    await userEvent.selectOptions(screen.getByLabelText("Period"), "custom");
    await userEvent.type(screen.getByLabelText("From"), "2030-01-01T09:00");
    await userEvent.type(screen.getByLabelText("To"), "2030-01-01T10:30");
    await waitFor(() => expect(lastQuery(fetcher).get("until")).toBe(new Date("2030-01-01T10:30").toISOString()));
    expect(lastQuery(fetcher).get("since")).toBe(new Date("2030-01-01T09:00").toISOString());
  });

  it("says when the range is backwards and does not ask the server", async () => {
    const fetcher = serve();
    render(<ExecutionsTable refreshKey={0} sessions={[]} />);
    await screen.findByRole("button", { name: "Ada" });
    await userEvent.selectOptions(screen.getByLabelText("Period"), "custom");
    await userEvent.type(screen.getByLabelText("From"), "2030-01-02T09:00");
    const calls = fetcher.mock.calls.length;
    await userEvent.type(screen.getByLabelText("To"), "2030-01-01T09:00");
    expect(await screen.findByRole("alert")).toHaveTextContent("“To” must be after “From”.");
    expect(screen.queryByTestId("executions")).not.toBeInTheDocument();
    expect(fetcher.mock.calls.length).toBe(calls);
  });
});

describe("queryFor", () => {
  const now = Date.parse("2030-01-01T12:00:00Z");

  it("turns a preset period into a since an hour, day or week back", () => {
    expect(queryFor({ ...NO_FILTERS, period: "hour" }, now)).toEqual({ filters: expect.objectContaining({ since: "2030-01-01T11:00:00.000Z", until: undefined }) });
    expect(queryFor({ ...NO_FILTERS, period: "week" }, now)).toEqual({ filters: expect.objectContaining({ since: "2029-12-25T12:00:00.000Z" }) });
  });

  it("leaves out what is not chosen, and an open end of a custom range", () => {
    expect(queryFor(NO_FILTERS, now)).toEqual({ filters: { language: undefined, status: undefined, session: undefined, user: undefined, participant: undefined, since: undefined, until: undefined } });
    const from = queryFor({ ...NO_FILTERS, period: "custom", from: "2030-01-01T09:00" }, now);
    expect(from).toEqual({ filters: expect.objectContaining({ since: new Date("2030-01-01T09:00").toISOString(), until: undefined }) });
  });
});
