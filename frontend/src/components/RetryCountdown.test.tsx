import { act, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RetryCountdown, formatSeconds, withoutRetryHint } from "./RetryCountdown";
import { ErrorMessage } from "./ErrorMessage";
import { ApiError } from "../api/errors";

describe("RetryCountdown", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("counts down each second and calls onDone at zero", () => {
    const onDone = vi.fn();
    render(<RetryCountdown until={Date.now() + 3000} onDone={onDone} />);
    expect(screen.getByRole("timer")).toHaveTextContent("Try again in 3 s");
    act(() => vi.advanceTimersByTime(1000));
    expect(screen.getByRole("timer")).toHaveTextContent("Try again in 2 s");
    act(() => vi.advanceTimersByTime(2000));
    expect(screen.getByText("You can try again now.")).toBeInTheDocument();
    expect(onDone).toHaveBeenCalledTimes(1);
  });

  it("formats minutes", () => {
    expect(formatSeconds(59)).toBe("59 s");
    expect(formatSeconds(120)).toBe("2 min");
    expect(formatSeconds(75)).toBe("1 min 15 s");
  });
});

describe("ErrorMessage", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("shows a countdown instead of Retry for a 429", () => {
    const error = new ApiError(429, { code: "rate_limited", message: "Too many attempts.", details: { retry_after: 5 } });
    render(<ErrorMessage error={error} onRetry={() => undefined} />);
    expect(screen.getByRole("alert")).toHaveTextContent("Too many attempts.");
    expect(screen.getByRole("timer")).toHaveTextContent("5 s");
    expect(screen.queryByRole("button", { name: "Retry" })).not.toBeInTheDocument();
  });

  it("offers Retry for other errors", () => {
    const onRetry = vi.fn();
    render(<ErrorMessage error={new Error("boom")} onRetry={onRetry} />);
    act(() => screen.getByRole("button", { name: "Retry" }).click());
    expect(onRetry).toHaveBeenCalled();
  });

  it("renders nothing without an error", () => {
    const { container } = render(<ErrorMessage error={null} />);
    expect(container).toBeEmptyDOMElement();
  });
  it("drops a message's own retry hint, which the countdown replaces", () => {
    expect(withoutRetryHint("You can start 10 runs per 60 s; try again in 28 s.")).toBe("You can start 10 runs per 60 s.");
    expect(withoutRetryHint("Too many attempts. Try again in 5 seconds.")).toBe("Too many attempts.");
    expect(withoutRetryHint("Too many attempts. Please wait a moment.")).toBe("Too many attempts. Please wait a moment.");
    expect(withoutRetryHint("Try again in 3 s")).toBe("");
  });
});
