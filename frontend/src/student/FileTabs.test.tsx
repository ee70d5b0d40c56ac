import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { FileTabs } from "./FileTabs";
import type { FileItem } from "../api/types";

const files: FileItem[] = [
  { id: "1", name: "main.py", content: "", updated_at: "", size: 0 },
  { id: "2", name: "util.py", content: "", updated_at: "", size: 0 },
];

describe("FileTabs", () => {
  it("selects a tab", async () => {
    const onSelect = vi.fn();
    render(<FileTabs files={files} activeId="1" onSelect={onSelect} />);
    expect(screen.getByRole("tab", { name: "main.py" })).toHaveAttribute("aria-selected", "true");
    await userEvent.click(screen.getByRole("tab", { name: "util.py" }));
    expect(onSelect).toHaveBeenCalledWith("2");
  });

  it("moves between tabs with the arrow keys, with only the open one in the Tab order", async () => {
    const onSelect = vi.fn();
    render(<FileTabs files={files} activeId="1" onSelect={onSelect} panelId="panel" />);
    const first = screen.getByRole("tab", { name: "main.py" });
    expect(first).toHaveAttribute("tabindex", "0");
    expect(screen.getByRole("tab", { name: "util.py" })).toHaveAttribute("tabindex", "-1");
    expect(first).toHaveAttribute("aria-controls", "panel");
    expect(screen.getByRole("tablist").children).toHaveLength(2);
    first.focus();
    await userEvent.keyboard("{ArrowRight}");
    expect(onSelect).toHaveBeenLastCalledWith("2");
    await userEvent.keyboard("{ArrowLeft}");
    expect(onSelect).toHaveBeenLastCalledWith("2"); // from main.py, left wraps to the last tab
    await userEvent.keyboard("{Home}");
    expect(onSelect).toHaveBeenLastCalledWith("1");
  });

  it("has no editing controls when read-only", () => {
    render(<FileTabs files={files} activeId="1" onSelect={() => undefined} />);
    expect(screen.queryByRole("button", { name: "New file" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Delete/ })).not.toBeInTheDocument();
  });

  it("creates, renames and deletes through dialogs", async () => {
    const onCreate = vi.fn().mockResolvedValue(undefined);
    const onRename = vi.fn().mockResolvedValue(undefined);
    const onDelete = vi.fn().mockResolvedValue(undefined);
    render(<FileTabs files={files} activeId="1" onSelect={() => undefined} onCreate={onCreate} onRename={onRename} onDelete={onDelete} />);

    await userEvent.click(screen.getByRole("button", { name: "New file" }));
    await userEvent.type(screen.getByLabelText("File name"), "notes.txt");
    await userEvent.click(screen.getByRole("button", { name: "Create" }));
    expect(onCreate).toHaveBeenCalledWith("notes.txt");
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());

    await userEvent.click(screen.getByRole("button", { name: "Rename main.py" }));
    const input = screen.getByLabelText("New name");
    await userEvent.clear(input);
    await userEvent.type(input, "app.py");
    await userEvent.click(screen.getByRole("button", { name: "Rename" }));
    expect(onRename).toHaveBeenCalledWith(files[0], "app.py");
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());

    // Rename and delete act on the open file: the tab list holds only tabs (ARIA tabs pattern).
    expect(screen.queryByRole("button", { name: "Delete util.py" })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Delete main.py" }));
    await userEvent.click(screen.getByRole("button", { name: "Delete" }));
    expect(onDelete).toHaveBeenCalledWith(files[0]);
  });
});
