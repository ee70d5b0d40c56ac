import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { tokenStore } from "../api/tokens";
import { bodyOf, json, mockApi } from "../test/render";
import { PushFileForm } from "./PushFileForm";

const delivered = [
  { participant_id: "p1", file_id: "f1", name: "hint.py" },
  { participant_id: "p2", file_id: "f2", name: "hint (2).py" },
];

describe("PushFileForm", () => {
  beforeEach(() => tokenStore.setPair({ access: "a", refresh: "r" }));

  it("pushes a file to the whole class and says who got a copy", async () => {
    const fetcher = mockApi({ "POST /api/sessions/s1/push": { delivered } });
    render(<PushFileForm sessionId="s1" defaultName="hint.py" />);
    await userEvent.type(screen.getByLabelText("File content"), "print('try a loop')");
    await userEvent.click(screen.getByRole("button", { name: "Push to everyone" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Sent to 2 students (1 already had edits, so they got a copy).");
    expect(bodyOf(fetcher.mock.calls[0]![1] as RequestInit)).toEqual({ name: "hint.py", content: "print('try a loop')" });
  });

  it("sends to one student when given one", async () => {
    const fetcher = mockApi({ "POST /api/sessions/s1/push": { delivered: [{ participant_id: "p1", file_id: "f9", name: "hint.txt" }] } });
    render(<PushFileForm sessionId="s1" participant={{ id: "p1", display_name: "Ada" }} defaultName="hint.txt" />);
    expect(screen.getByRole("heading")).toHaveTextContent("Send a file to Ada");
    await userEvent.click(screen.getByRole("button", { name: "Send" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Sent to 1 student.");
    expect(bodyOf(fetcher.mock.calls[0]![1] as RequestInit)).toMatchObject({ name: "hint.txt", participant_id: "p1" });
  });

  it("explains a bad file name instead of silently disabling the button", async () => {
    render(<PushFileForm sessionId="s1" defaultName="" />);
    expect(screen.getByRole("button", { name: "Push to everyone" })).toBeDisabled();
    await userEvent.type(screen.getByLabelText("File name"), "../etc/passwd");
    expect(screen.getByText("No slashes in file names.")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Push to everyone" })).toBeDisabled();
  });

  it("counts down when the server rate-limits pushes", async () => {
    mockApi({
      "POST /api/sessions/s1/push": () => json(429, { error: { code: "rate_limited", message: "Slow down.", details: { retry_after: 30 } } }),
    });
    render(<PushFileForm sessionId="s1" defaultName="hint.py" />);
    await userEvent.click(screen.getByRole("button", { name: "Push to everyone" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Slow down.");
    expect(screen.getByRole("timer")).toHaveTextContent(/Try again in (30|29) s/);
  });

  it("is disabled when the session is not live", () => {
    render(<PushFileForm sessionId="s1" defaultName="hint.py" disabled />);
    expect(screen.getByLabelText("File name")).toBeDisabled();
    expect(screen.getByRole("button", { name: "Push to everyone" })).toBeDisabled();
  });
});
