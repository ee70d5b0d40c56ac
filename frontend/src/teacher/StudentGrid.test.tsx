import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { ParticipantStatus } from "../api/types";
import { StudentGrid } from "./StudentGrid";
import type { StudentLive } from "./classroom";

function student(id: string, name: string, patch: Partial<StudentLive> = {}, p: Partial<ParticipantStatus> = {}): StudentLive {
  return {
    participant: {
      id,
      display_name: name,
      is_guest: true,
      online: true,
      joined_at: `2026-01-01T09:00:0${id}Z`,
      last_activity_at: new Date().toISOString(),
      last_run_status: null,
      open_help_request: null,
      removed: false,
      ...p,
    },
    preview: null,
    recent: [],
    lastTypingAt: null,
    lastActivityAt: Date.now(),
    running: false,
    lastRunStatus: null,
    consecutiveErrors: 0,
    ...patch,
  };
}

const names = () => screen.getAllByTestId("student-tile").map((t) => t.getAttribute("data-name"));

describe("StudentGrid", () => {
  it("shows an empty state with the join hint", () => {
    render(<StudentGrid students={[]} onOpen={() => undefined} joinHint="Share the code ABC123" />);
    expect(screen.getByText("No students yet")).toBeInTheDocument();
    expect(screen.getByText("Share the code ABC123")).toBeInTheDocument();
  });

  it("puts students who need attention first, and sorts by name on request", async () => {
    const students = [
      student("1", "Ada"),
      student("2", "Bo", {}, { open_help_request: { id: "h", state: "open", message: "help!", created_at: new Date().toISOString() } }),
      student("3", "Cy", { lastRunStatus: "runtime-error", consecutiveErrors: 3 }),
    ];
    render(<StudentGrid students={students} onOpen={() => undefined} />);
    expect(names()).toEqual(["Bo", "Cy", "Ada"]);
    expect(screen.getByText("1 need help")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Name" }));
    expect(names()).toEqual(["Ada", "Bo", "Cy"]);
  });

  it("shows status, code preview and the raised hand's message; a click opens the student", async () => {
    const onOpen = vi.fn();
    const students = [
      student("1", "Ada", { preview: { documentId: "d", name: "main.py", text: "print('hi')" }, lastTypingAt: Date.now() }),
      student("2", "Bo", { running: true }, { online: false, open_help_request: { id: "h", state: "open", message: "stuck on loop", created_at: new Date().toISOString() } }),
    ];
    render(<StudentGrid students={students} onOpen={onOpen} />);
    const ada = screen.getAllByTestId("student-tile").find((t) => t.getAttribute("data-name") === "Ada")!;
    expect(ada).toHaveAttribute("data-status", "typing");
    expect(within(ada).getByTestId("tile-code")).toHaveTextContent("print('hi')");
    const bo = screen.getAllByTestId("student-tile").find((t) => t.getAttribute("data-name") === "Bo")!;
    expect(bo).toHaveAttribute("data-status", "help");
    expect(bo).toHaveTextContent("stuck on loop");
    expect(within(bo).getByText("Offline")).toBeInTheDocument();
    await userEvent.click(ada);
    expect(onOpen).toHaveBeenCalledWith("1");
  });

  it("filters by name", async () => {
    render(<StudentGrid students={[student("1", "Ada"), student("2", "Bo")]} onOpen={() => undefined} />);
    await userEvent.type(screen.getByLabelText("Find a student"), "bo");
    expect(names()).toEqual(["Bo"]);
  });
});
