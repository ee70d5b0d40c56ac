import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { json, mockApi } from "../test/render";
import { LIMITS } from "../test/fixtures";
import { RunsLeft } from "./RunsLeft";

const guest = { token: "g" };

describe("RunsLeft", () => {
  it("shows the runs left in the window and warns when few are left", async () => {
    mockApi({ "GET /api/me/limits": LIMITS });
    const { rerender } = render(<RunsLeft credential={guest} refreshKey={0} />);
    expect(await screen.findByTestId("runs-left")).toHaveTextContent("18 of 20 runs left this minute");
    expect(screen.getByTestId("runs-left")).not.toHaveClass("low");

    mockApi({ "GET /api/me/limits": { ...LIMITS, used: 17, remaining: 3, window_seconds: 3600 } });
    rerender(<RunsLeft credential={guest} refreshKey={1} />);
    expect(await screen.findByText("3 of 20 runs left this hour")).toHaveClass("low");
  });

  it("says when the figure cannot be loaded, and retries", async () => {
    let calls = 0;
    mockApi({
      "GET /api/me/limits": () => (++calls === 1 ? json(503, null) : json(200, LIMITS)),
    });
    render(<RunsLeft credential={guest} refreshKey={0} />);
    const problem = await screen.findByTestId("runs-left-error");
    expect(problem).toHaveTextContent("Runs left: unknown (The server is temporarily unavailable)");
    await userEvent.click(screen.getByRole("button", { name: "Retry" }));
    expect(await screen.findByTestId("runs-left")).toHaveTextContent("18 of 20");
  });

  it("shows nothing when runs are not limited", async () => {
    mockApi({ "GET /api/me/limits": { ...LIMITS, runs_per_window: 0 } });
    const { container } = render(<RunsLeft credential={guest} refreshKey={0} />);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(container).toBeEmptyDOMElement();
  });
});
