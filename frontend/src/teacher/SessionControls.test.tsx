import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { tokenStore } from "../api/tokens";
import { captureDownloads } from "../test/download";
import { json, mockApi } from "../test/render";
import { liveSession } from "../test/teacher";
import { SessionControls } from "./SessionControls";

const live = liveSession("sc1", { title: "Loops & Lists" });
const failure = (status: number, message: string) => () => json(status, { error: { code: "conflict", message, details: {} } });

describe("SessionControls", () => {
  beforeEach(() => tokenStore.setPair({ access: "a", refresh: "r" }));
  afterEach(() => vi.unstubAllGlobals());

  it("ends a live session only after confirming", async () => {
    const fetcher = mockApi({ "POST /api/sessions/sc1/end": { ...live, state: "ended" } });
    const onChange = vi.fn();
    render(<SessionControls session={live} onChange={onChange} />);

    await userEvent.click(screen.getByRole("button", { name: "End session" }));
    expect(screen.getByRole("dialog")).toHaveTextContent("End this session?");
    await userEvent.click(screen.getByRole("button", { name: "Keep it running" }));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(fetcher).not.toHaveBeenCalled();

    await userEvent.click(screen.getByRole("button", { name: "End session" }));
    await userEvent.click(screen.getByRole("dialog").querySelector("button.danger")!);
    await waitFor(() => expect(onChange).toHaveBeenCalledWith(expect.objectContaining({ state: "ended" })));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("keeps the dialog open and says why when ending fails", async () => {
    mockApi({ "POST /api/sessions/sc1/end": failure(409, "The session changed meanwhile.") });
    const onChange = vi.fn();
    render(<SessionControls session={live} onChange={onChange} />);
    await userEvent.click(screen.getByRole("button", { name: "End session" }));
    await userEvent.click(screen.getByRole("dialog").querySelector("button.danger")!);
    expect(await screen.findByRole("alert")).toHaveTextContent("The session changed meanwhile.");
    expect(screen.getByRole("dialog")).toBeInTheDocument();
    expect(onChange).not.toHaveBeenCalled();
  });

  it("exports the zip under the session's name", async () => {
    const clicked = captureDownloads();
    const fetcher = mockApi({ "GET /api/sessions/sc1/export": () => new Response(new Blob(["PK"]), { status: 200 }) });
    render(<SessionControls session={live} onChange={() => undefined} />);
    await userEvent.click(screen.getByRole("button", { name: "⬇ Export zip" }));
    await waitFor(() => expect(clicked).toHaveLength(1));
    expect(clicked[0]!.download).toBe("loops-lists.zip");
    expect(String(fetcher.mock.calls[0]![0])).toBe("/api/sessions/sc1/export");
  });

  it("says why an export failed", async () => {
    mockApi({ "GET /api/sessions/sc1/export": failure(500, "Could not build the zip.") });
    render(<SessionControls session={live} onChange={() => undefined} />);
    await userEvent.click(screen.getByRole("button", { name: "⬇ Export zip" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Could not build the zip.");
  });

  it("starts a draft and reopens an ended session", async () => {
    mockApi({
      "POST /api/sessions/sc1/start": { ...live, state: "live" },
      "POST /api/sessions/sc1/reopen": { ...live, state: "live" },
    });
    const onChange = vi.fn();
    const { rerender } = render(<SessionControls session={{ ...live, state: "draft" }} onChange={onChange} />);
    expect(screen.queryByRole("button", { name: "⬇ Export zip" })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "▶ Start session" }));
    await waitFor(() => expect(onChange).toHaveBeenCalledTimes(1));

    rerender(<SessionControls session={{ ...live, state: "ended" }} onChange={onChange} />);
    expect(screen.queryByRole("button", { name: "End session" })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Reopen" }));
    await waitFor(() => expect(onChange).toHaveBeenCalledTimes(2));
  });
});
