import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes, useNavigate } from "react-router-dom";
import { describe, expect, it } from "vitest";
import { RouteFocus, usePageTitle } from "./a11y";

function First() {
  usePageTitle("First page");
  const navigate = useNavigate();
  return (
    <main>
      <h1>First</h1>
      {/* The button unmounts with the page: without RouteFocus the focus would drop to the body. */}
      <button type="button" onClick={() => navigate("/second")}>Go on</button>
    </main>
  );
}

function Second() {
  usePageTitle("Second page");
  return (
    <main>
      <h1>Second</h1>
    </main>
  );
}

describe("RouteFocus and usePageTitle", () => {
  it("titles each page and moves the focus to the new page's h1 after a navigation", async () => {
    render(
      <MemoryRouter initialEntries={["/"]}>
        <RouteFocus />
        <Routes>
          <Route path="/" element={<First />} />
          <Route path="/second" element={<Second />} />
        </Routes>
      </MemoryRouter>,
    );
    expect(document.title).toBe("First page · Observer");
    expect(screen.getByRole("heading", { name: "First" })).not.toHaveFocus(); // the first load is left alone
    await userEvent.click(screen.getByRole("button", { name: "Go on" }));
    await waitFor(() => expect(screen.getByRole("heading", { name: "Second" })).toHaveFocus());
    expect(document.title).toBe("Second page · Observer");
  });
});
