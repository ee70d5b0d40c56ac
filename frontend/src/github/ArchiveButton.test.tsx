import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { afterEach, describe, expect, it } from "vitest";
import { tokenStore } from "../api/tokens";
import { mockApi } from "../test/render";
import { ArchiveButton } from "./ArchiveButton";

const account = { enabled: true, linked: false, login: "", can_unlink: false, token: null };

describe("ArchiveButton", () => {
  afterEach(() => window.history.replaceState(null, "", "/"));

  it("opens the form on a click, and by itself once on the way back from GitHub", async () => {
    tokenStore.setPair({ access: "a", refresh: "r" });
    mockApi({ "GET /api/auth/github/account": account, "GET /api/sessions/s1/github-archives": [] });
    render(<MemoryRouter><ArchiveButton mode="session" targetId="s1" title="Loops" /></MemoryRouter>);
    const button = screen.getByRole("button", { name: "Archive to GitHub" });
    expect(button).toHaveAttribute("aria-expanded", "false");
    await userEvent.click(button);
    expect(await screen.findByRole("region", { name: "Archive to GitHub" })).toBeInTheDocument();
  });

  it("reopens after connecting, and forgets the marker", async () => {
    window.history.replaceState(null, "", "/teach/s1?github=connected&x=1");
    mockApi({ "GET /api/auth/github/account": account, "GET /api/sessions/s1/github-archives": [] });
    render(<MemoryRouter><ArchiveButton mode="session" targetId="s1" title="Loops" /></MemoryRouter>);
    expect(await screen.findByRole("region", { name: "Archive to GitHub" })).toBeInTheDocument();
    expect(window.location.search).toBe("?x=1");
  });
});
