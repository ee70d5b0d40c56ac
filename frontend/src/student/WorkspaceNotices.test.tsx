import { act, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { DocumentNotice } from "../live/yjsProvider";
import { captureDownloads } from "../test/download";
import { FakeWebSocket } from "../test/fakeWebSocket";
import { json } from "../test/render";
import { openWorkspace } from "../test/workspace";

const editor = vi.hoisted(() => ({ onNotice: undefined as undefined | ((notice: DocumentNotice) => void) }));
vi.mock("../editor/CodeEditor", () => ({
  CodeEditor: (props: { onNotice?: (notice: DocumentNotice) => void }) => {
    editor.onNotice = props.onNotice;
    return <div data-testid="code-editor" />;
  },
}));
vi.mock("../terminal/TerminalView", () => ({ TerminalView: () => <div data-testid="terminal" /> }));

describe("Workspace: what the server refused is shown", () => {
  beforeEach(() => {
    FakeWebSocket.reset();
    vi.stubGlobal("WebSocket", FakeWebSocket);
    editor.onNotice = undefined;
  });
  afterEach(() => vi.unstubAllGlobals());

  it("shows an error frame from the document socket in a notice bar until dismissed", async () => {
    await openWorkspace();
    expect(editor.onNotice).toBeTypeOf("function");
    const readonly = { type: "error", code: "readonly", message: "This document is read-only for you; the change was not kept." } as const;
    act(() => editor.onNotice!(readonly));
    const bar = screen.getByTestId("document-notice");
    expect(bar).toHaveTextContent("Not saved. This document is read-only for you; the change was not kept.");
    act(() => editor.onNotice!(readonly));
    expect(bar).toHaveTextContent("(×2)");

    act(() => editor.onNotice!({ type: "error", code: "throttled", message: "Too many messages; some were dropped. Slow down." }));
    expect(screen.getByTestId("document-notice")).toHaveAttribute("data-code", "throttled");
    await userEvent.click(screen.getByRole("button", { name: "Dismiss" }));
    expect(screen.queryByTestId("document-notice")).not.toBeInTheDocument();
  });

  it("does not treat a read-only switch as an error", async () => {
    await openWorkspace();
    act(() => editor.onNotice!({ type: "readonly", readonly: true }));
    expect(screen.queryByTestId("document-notice")).not.toBeInTheDocument();
  });
});

describe("Workspace: download my files", () => {
  beforeEach(() => {
    FakeWebSocket.reset();
    vi.stubGlobal("WebSocket", FakeWebSocket);
  });
  afterEach(() => vi.unstubAllGlobals());

  it("downloads the zip with the guest's token under the server's file name", async () => {
    const clicked = captureDownloads();
    const fetcher = await openWorkspace({
      "GET /api/participants/p1/files/download": () =>
        new Response(new Blob(["PK"]), { status: 200, headers: { "Content-Disposition": 'attachment; filename="ada-files.zip"' } }),
    });
    await userEvent.click(screen.getByRole("button", { name: "⬇ Download my files" }));
    await waitFor(() => expect(clicked).toHaveLength(1));
    expect(clicked[0]!.download).toBe("ada-files.zip");
    expect(clicked[0]!.href).toBe("blob:download");
    const call = fetcher.mock.calls.find(([url]) => String(url).endsWith("/files/download"))!;
    expect(((call[1] as RequestInit).headers as Record<string, string>)["Authorization"]).toBe("Bearer g");
  });

  it("says why a download failed", async () => {
    await openWorkspace({
      "GET /api/participants/p1/files/download": () => json(403, { error: { code: "permission_denied", message: "You were removed from this session.", details: {} } }),
    });
    await userEvent.click(screen.getByRole("button", { name: "⬇ Download my files" }));
    expect(await screen.findByText("You were removed from this session.")).toBeInTheDocument();
  });
});
