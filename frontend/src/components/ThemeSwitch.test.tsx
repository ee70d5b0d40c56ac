import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { ThemeSwitch } from "./ThemeSwitch";
import { THEME_KEY } from "../theme/theme";
import { startTheme } from "../theme/useTheme";

describe("ThemeSwitch", () => {
  it("overrides the system's theme, keeps the choice, and gives it back", async () => {
    startTheme();
    render(<ThemeSwitch />);
    const button = screen.getByTestId("theme-switch");
    expect(button).toHaveAttribute("data-preference", "system");
    expect(document.documentElement.dataset["theme"]).toBe("light"); // jsdom's system is light

    await userEvent.click(button);
    expect(button).toHaveAttribute("data-preference", "light");
    await userEvent.click(button);
    expect(button).toHaveAttribute("data-preference", "dark");
    expect(document.documentElement.dataset["theme"]).toBe("dark");
    expect(window.localStorage.getItem(THEME_KEY)).toBe("dark");
    expect(button).toHaveAccessibleName("Dark. Theme: dark. Switch to auto.");

    await userEvent.click(button);
    expect(button).toHaveAttribute("data-preference", "system");
    expect(window.localStorage.getItem(THEME_KEY)).toBeNull();
    expect(document.documentElement.dataset["theme"]).toBe("light");
  });
});
