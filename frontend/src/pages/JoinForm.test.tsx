import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { JoinForm } from "./JoinForm";
import { tokenStore } from "../api/tokens";
import { bodyOf, json, mockApi, renderAt } from "../test/render";

const answer = {
  participant: { id: "p1", display_name: "Ada" },
  session: { id: "s1", title: "Loops" },
  files: [],
  token: "guest-token",
};

function Joined() {
  return <div data-testid="joined" />;
}

describe("JoinForm", () => {
  it("joins as a guest, keeps the guest token and opens the workspace", async () => {
    const fetcher = mockApi({ "POST /api/join": () => json(200, answer) });
    renderAt("/join", [
      { path: "/join", element: <JoinForm /> },
      { path: "/s/:id", element: <Joined /> },
    ]);
    await userEvent.type(screen.getByLabelText("Class code"), "ab c12 3");
    await userEvent.type(screen.getByLabelText("Your name"), "Ada");
    await userEvent.click(screen.getByRole("button", { name: "Join class" }));
    expect(await screen.findByTestId("joined")).toBeInTheDocument();
    const init = fetcher.mock.calls[0]![1] as RequestInit;
    expect(bodyOf(init)).toMatchObject({ code: "ABC123", display_name: "Ada", guest_key: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect((init.headers as Record<string, string>)["Authorization"]).toBeUndefined();
    expect(tokenStore.getGuest("s1")).toMatchObject({ token: "guest-token", sessionId: "s1", participantId: "p1", displayName: "Ada", sessionTitle: "Loops" });
    expect(tokenStore.listGuests().map((g) => g.sessionId)).toEqual(["s1"]);
  });

  it("explains an unknown code", async () => {
    mockApi({ "POST /api/join": () => json(404, { error: { code: "not_found", message: "Not found.", details: {} } }) });
    renderAt("/join", [{ path: "/join", element: <JoinForm /> }]);
    await userEvent.type(screen.getByLabelText("Class code"), "ZZZZZZ");
    await userEvent.type(screen.getByLabelText("Your name"), "Ada");
    await userEvent.click(screen.getByRole("button", { name: "Join class" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("No live class has this code");
  });

  it("shows the server's reason for an ended or full class", async () => {
    mockApi({ "POST /api/join": () => json(409, { error: { code: "session_full", message: "This class is full.", details: {} } }) });
    renderAt("/join", [{ path: "/join", element: <JoinForm /> }]);
    await userEvent.type(screen.getByLabelText("Class code"), "ABCDEF");
    await userEvent.type(screen.getByLabelText("Your name"), "Ada");
    await userEvent.click(screen.getByRole("button", { name: "Join class" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("This class is full.");
  });

  it("counts down and blocks the button when rate limited", async () => {
    mockApi({ "POST /api/join": () => json(429, { error: { code: "rate_limited", message: "Too many attempts.", details: { retry_after: 30 } } }) });
    renderAt("/join", [{ path: "/join", element: <JoinForm /> }]);
    await userEvent.type(screen.getByLabelText("Class code"), "ABCDEF");
    await userEvent.type(screen.getByLabelText("Your name"), "Ada");
    await userEvent.click(screen.getByRole("button", { name: "Join class" }));
    expect(await screen.findByRole("timer")).toHaveTextContent(/Try again in (30|29) s/);
    await waitFor(() => expect(screen.getByRole("button", { name: "Join class" })).toBeDisabled());
  });
});
