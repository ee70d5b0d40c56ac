import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { HelpRequest } from "../api/types";
import { tokenStore } from "../api/tokens";
import { json, mockApi } from "../test/render";
import { HelpQueue } from "./HelpQueue";

const request: HelpRequest = {
  id: "h1",
  participant_id: "p1",
  display_name: "Bob",
  message: "My loop never ends",
  file_name: "main.py",
  line: 2,
  last_output: "Traceback...",
  state: "open",
  created_at: new Date().toISOString(),
  claimed_by: null,
  claimed_at: null,
  resolved_at: null,
};

describe("HelpQueue", () => {
  it("shows an empty state", () => {
    render(<HelpQueue help={[]} onUpdated={() => undefined} onOpenStudent={() => undefined} />);
    expect(screen.getByText("No raised hands")).toBeInTheDocument();
  });

  it("keeps the cursor line and adds the line the last error points at", () => {
    const failing = { ...request, line: 4, last_output: 'Traceback (most recent call last):\r\n  File "/work/main.py", line 2, in <module>\r\nNameError: x\r\n' };
    render(<HelpQueue help={[failing]} onUpdated={() => undefined} onOpenStudent={() => undefined} />);
    expect(screen.getByTestId("help-cursor")).toHaveTextContent("main.py, line 4 (cursor)");
    expect(screen.getByTestId("help-error-line")).toHaveTextContent("Error at main.py, line 2");
  });

  it("names no error line when the output names none", () => {
    render(<HelpQueue help={[request]} onUpdated={() => undefined} onOpenStudent={() => undefined} />);
    expect(screen.queryByTestId("help-error-line")).not.toBeInTheDocument();
  });

  it("claims, resolves and opens a request", async () => {
    tokenStore.setPair({ access: "a", refresh: "r" });
    mockApi({
      "POST /api/help/h1/claim": () => json(200, { ...request, state: "claimed", claimed_by: { id: "t", display_name: "Ms T" } }),
      "POST /api/help/h1/resolve": () => json(200, { ...request, state: "resolved" }),
    });
    const onUpdated = vi.fn();
    const onOpen = vi.fn();
    render(<HelpQueue help={[request]} onUpdated={onUpdated} onOpenStudent={onOpen} />);
    expect(screen.getByTestId("help-item")).toHaveTextContent("My loop never ends");
    expect(screen.getByTestId("help-item")).toHaveTextContent("main.py, line 2");
    await userEvent.click(screen.getByRole("button", { name: "Claim" }));
    await waitFor(() => expect(onUpdated).toHaveBeenCalledWith(expect.objectContaining({ state: "claimed" })));
    await userEvent.click(screen.getByRole("button", { name: "Resolve" }));
    await waitFor(() => expect(onUpdated).toHaveBeenCalledWith(expect.objectContaining({ state: "resolved" })));
    await userEvent.click(screen.getByRole("button", { name: "Open" }));
    expect(onOpen).toHaveBeenCalledWith("p1");
  });

  it("says so when a claim fails", async () => {
    tokenStore.setPair({ access: "a", refresh: "r" });
    mockApi({ "POST /api/help/h1/claim": () => json(409, { error: { code: "conflict", message: "Another teacher claimed it.", details: {} } }) });
    render(<HelpQueue help={[request]} onUpdated={() => undefined} onOpenStudent={() => undefined} />);
    await userEvent.click(screen.getByRole("button", { name: "Claim" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Another teacher claimed it.");
  });
});
