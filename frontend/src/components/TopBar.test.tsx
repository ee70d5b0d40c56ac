import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { tokenStore } from "../api/tokens";
import type { User } from "../api/types";
import { mockApi, renderAt } from "../test/render";
import { teacher } from "../test/teacher";
import { TopBar } from "./TopBar";

function openAs(who: User) {
  tokenStore.setPair({ access: "header.eyJleHAiOjk5OTk5OTk5OTl9.sig", refresh: "r" });
  mockApi({ "GET /api/auth/me": who });
  renderAt("/teach", [
    { path: "/teach", element: <TopBar /> },
    { path: "/account/keys", element: <TopBar title="Keys page" /> },
  ]);
}

describe("TopBar", () => {
  it("gives a teacher a link to their API keys among the account's links, behind a Menu button", async () => {
    const user = userEvent.setup();
    openAs(teacher);
    const menu = await screen.findByRole("button", { name: "Menu" });
    const nav = screen.getByRole("navigation", { name: "Account" });
    expect(menu).toHaveAttribute("aria-controls", nav.id);
    expect(within(nav).getAllByRole("link").map((link) => link.textContent)).toEqual(["My sessions", "API keys", "GitHub"]);
    expect(within(nav).getByRole("button", { name: "Sign out" })).toBeInTheDocument();

    expect(menu).toHaveAttribute("aria-expanded", "false");
    await user.click(menu);
    expect(menu).toHaveAttribute("aria-expanded", "true");
    expect(nav).toHaveClass("open");
    await user.keyboard("{Escape}");
    expect(menu).toHaveAttribute("aria-expanded", "false");
    expect(menu).toHaveFocus();

    // Following a link from the open menu closes it.
    await user.click(menu);
    await user.click(within(nav).getByRole("link", { name: "API keys" }));
    expect(await screen.findByText("Keys page")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Menu" })).toHaveAttribute("aria-expanded", "false");
  });

  it("closes the menu on a press outside it", async () => {
    const user = userEvent.setup();
    openAs(teacher);
    const menu = await screen.findByRole("button", { name: "Menu" });
    await user.click(menu);
    expect(menu).toHaveAttribute("aria-expanded", "true");
    await user.click(document.body);
    expect(menu).toHaveAttribute("aria-expanded", "false");
  });

  it("leaves an admin's keys to the operator page: no API keys link", async () => {
    openAs({ ...teacher, role: "admin" });
    const nav = await screen.findByRole("navigation", { name: "Account" });
    const links = within(nav).getAllByRole("link").map((link) => link.textContent);
    expect(links).toContain("Operations");
    expect(links).not.toContain("API keys");
  });
});
