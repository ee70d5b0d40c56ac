import { act, render, renderHook, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { DocumentNoticeBar, useDocumentNotice } from "./DocumentNoticeBar";

describe("useDocumentNotice", () => {
  it("keeps the latest error, counts repeats and ignores read-only switches", () => {
    const { result } = renderHook(() => useDocumentNotice());
    act(() => result.current.onNotice({ type: "readonly", readonly: true }));
    expect(result.current.notice).toBeNull();

    const tooLarge = { type: "error", code: "too_large", message: "Frames are limited to 4194304 bytes." } as const;
    act(() => result.current.onNotice(tooLarge));
    act(() => result.current.onNotice(tooLarge));
    expect(result.current.notice).toEqual({ code: "too_large", message: tooLarge.message, count: 2 });

    act(() => result.current.onNotice({ type: "error", code: "invalid", message: "Not a y-protocols message." }));
    expect(result.current.notice).toMatchObject({ code: "invalid", count: 1 });
    act(() => result.current.dismiss());
    expect(result.current.notice).toBeNull();
  });
});

describe("DocumentNoticeBar", () => {
  it("says what happened in plain words and can be dismissed", async () => {
    const onDismiss = vi.fn();
    render(<DocumentNoticeBar notice={{ code: "too_large", message: "Frames are limited to 4194304 bytes.", count: 1 }} onDismiss={onDismiss} />);
    expect(screen.getByRole("alert")).toHaveTextContent("Not saved: too large. Frames are limited to 4194304 bytes.");
    await userEvent.click(screen.getByRole("button", { name: "Dismiss" }));
    expect(onDismiss).toHaveBeenCalledTimes(1);
  });

  it("names an unknown refusal too, and renders nothing without a notice", () => {
    const { rerender, container } = render(<DocumentNoticeBar notice={{ code: "new_code", message: "Something else.", count: 1 }} onDismiss={() => undefined} />);
    expect(screen.getByRole("alert")).toHaveTextContent("The server refused a change. Something else.");
    rerender(<DocumentNoticeBar notice={null} onDismiss={() => undefined} />);
    expect(container).toBeEmptyDOMElement();
  });
});
