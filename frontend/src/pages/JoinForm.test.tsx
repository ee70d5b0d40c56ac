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
    await userEvent.type(screen.getByLabelText("Class code"), "ab c23 4");
    await userEvent.type(screen.getByLabelText("Your name"), "Ada");
    await userEvent.click(screen.getByRole("button", { name: "Join class" }));
    expect(await screen.findByTestId("joined")).toBeInTheDocument();
    const init = fetcher.mock.calls[0]![1] as RequestInit;
    expect(bodyOf(init)).toMatchObject({ code: "ABC234", display_name: "Ada", guest_key: expect.stringMatching(/^[0-9a-f]{32}$/) });
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

  it("says what is wrong next to each field before sending anything", async () => {
    const fetcher = mockApi({});
    renderAt("/join", [{ path: "/join", element: <JoinForm /> }]);
    await userEvent.type(screen.getByLabelText("Class code"), "AB");
    await userEvent.type(screen.getByLabelText("Your name"), "   ");
    const join = screen.getByRole("button", { name: "Join class" });
    expect(join).toBeEnabled(); // pressing it explains, instead of a silently disabled button
    await userEvent.click(join);
    expect(screen.getByTestId("join-code-error")).toHaveTextContent("A class code has 6 characters; this one has 2.");
    expect(screen.getByTestId("join-name-error")).toHaveTextContent("A name of only spaces is not a name.");
    expect(screen.getByLabelText("Class code")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("Class code")).toHaveAccessibleDescription("A class code has 6 characters; this one has 2.");
    expect(screen.getByLabelText("Class code")).toHaveFocus();
    expect(fetcher).not.toHaveBeenCalled();

    await userEvent.type(screen.getByLabelText("Class code"), "C1EF");
    expect(screen.getByTestId("join-code-error")).toHaveTextContent("Class codes never use 0, O, 1, I or L.");
    await userEvent.clear(screen.getByLabelText("Class code"));
    await userEvent.type(screen.getByLabelText("Class code"), "ABCDEF");
    expect(screen.queryByTestId("join-code-error")).not.toBeInTheDocument();
    await userEvent.click(join);
    expect(fetcher).not.toHaveBeenCalled(); // the name is still only spaces
  });

  it("puts the server's refusal next to the field it names, in words", async () => {
    mockApi({ "POST /api/join": () => json(400, { error: { code: "invalid", message: "display_name: A name cannot contain control or invisible characters.", details: { display_name: ["A name cannot contain control or invisible characters."] } } }) });
    renderAt("/join", [{ path: "/join", element: <JoinForm /> }]);
    await userEvent.type(screen.getByLabelText("Class code"), "ABCDEF");
    await userEvent.type(screen.getByLabelText("Your name"), "Ada");
    await userEvent.click(screen.getByRole("button", { name: "Join class" }));
    expect(await screen.findByTestId("join-name-error")).toHaveTextContent("A name cannot contain control or invisible characters.");
    expect(document.body).not.toHaveTextContent("display_name");
  });
});
