import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Markdown } from "./Markdown";

describe("Markdown", () => {
  it("renders the instruction subset", () => {
    const { container } = render(
      <Markdown text={"# Task\nWrite `greet()` that **asks** a name.\n\n- one\n- two\n\n```\nprint('x')\n```\n[docs](https://docs.python.org)"} />,
    );
    expect(screen.getByRole("heading", { name: "Task" })).toBeInTheDocument();
    expect(container.querySelector("code")).toHaveTextContent("greet()");
    expect(container.querySelector("strong")).toHaveTextContent("asks");
    expect(screen.getAllByRole("listitem")).toHaveLength(2);
    expect(container.querySelector("pre")).toHaveTextContent("print('x')");
    expect(screen.getByRole("link", { name: "docs" })).toHaveAttribute("href", "https://docs.python.org");
  });

  it("never renders raw HTML or script links", () => {
    const { container } = render(<Markdown text={'<img src=x onerror="alert(1)"> [x](javascript:alert(1))'} />);
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector("a")).toBeNull();
    expect(container.textContent).toContain("<img");
  });
});
