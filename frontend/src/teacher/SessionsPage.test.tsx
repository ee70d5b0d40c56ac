import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { ClassSession, Page } from "../api/types";
import { tokenStore } from "../api/tokens";
import { json, mockApi, renderAt } from "../test/render";
import SessionsPage from "./SessionsPage";

const teacher = { id: "t1", username: "ms_t", email: "", display_name: "Ms T", role: "teacher", guest: false };

function session(n: number, state: ClassSession["state"] = "ended"): ClassSession {
  return {
    id: `s${n}`,
    title: `Lesson ${n}`,
    language: "python",
    instructions: "",
    starter_files: [],
    max_participants: 30,
    teacher_can_edit: true,
    students_see_each_other: false,
    state,
    join_code: state === "live" ? "K7PX3M" : null,
    created_at: new Date(2026, 0, n).toISOString(),
    started_at: null,
    ended_at: null,
    participant_count: 0,
    teacher: { id: "t1", display_name: "Ms T" },
  };
}

function page(results: ClassSession[], count: number, next: string | null): Page<ClassSession> {
  return { count, next, previous: null, results };
}

describe("SessionsPage", () => {
  it("shows the first page and loads older sessions on request", async () => {
    tokenStore.setPair({ access: "a", refresh: "r" });
    const first = [session(1, "live"), ...Array.from({ length: 49 }, (_, i) => session(i + 2))];
    const requested: string[] = [];
    mockApi({
      "GET /api/auth/me": teacher,
      "GET /api/sessions/": (url: string) => {
        requested.push(new URL(url, "http://x").searchParams.get("page") ?? "");
        return url.includes("page=2")
          ? json(200, page([session(51), session(52)], 52, null))
          : json(200, page(first, 52, "http://testserver/api/sessions/?page=2"));
      },
    });
    renderAt("/teach", [{ path: "/teach", element: <SessionsPage /> }]);

    expect(await screen.findByText("Lesson 50")).toBeInTheDocument();
    expect(screen.getByText("Live now")).toBeInTheDocument();
    expect(screen.queryByText("Lesson 51")).not.toBeInTheDocument();
    expect(screen.getByText("Showing 50 of 52 sessions")).toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Show older sessions" }));
    expect(await screen.findByText("Lesson 52")).toBeInTheDocument();
    expect(screen.getByText("Lesson 51")).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole("button", { name: "Show older sessions" })).not.toBeInTheDocument());
    expect(requested).toEqual(["1", "2"]);
    expect(screen.getAllByRole("link", { name: /^Lesson \d+$/ })).toHaveLength(52);
  });

  it("offers no more when everything fits on one page", async () => {
    tokenStore.setPair({ access: "a", refresh: "r" });
    mockApi({ "GET /api/auth/me": teacher, "GET /api/sessions/": page([session(1)], 1, null) });
    renderAt("/teach", [{ path: "/teach", element: <SessionsPage /> }]);
    expect(await screen.findByText("Lesson 1")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Show older sessions" })).not.toBeInTheDocument();
  });
});
