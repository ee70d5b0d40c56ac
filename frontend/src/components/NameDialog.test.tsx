import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { NameDialog, fileNameProblem } from "./NameDialog";
import { ApiError } from "../api/errors";

describe("NameDialog", () => {
  it("submits the trimmed name and closes", async () => {
    const onSubmit = vi.fn().mockResolvedValue(undefined);
    const onClose = vi.fn();
    render(<NameDialog title="New file" label="File name" submitLabel="Create" onSubmit={onSubmit} onClose={onClose} />);
    await userEvent.type(screen.getByLabelText("File name"), "  util.py ");
    await userEvent.click(screen.getByRole("button", { name: "Create" }));
    expect(onSubmit).toHaveBeenCalledWith("util.py");
    await waitFor(() => expect(onClose).toHaveBeenCalled());
  });

  it("keeps the dialog open with the server's message on failure", async () => {
    const onSubmit = vi.fn().mockRejectedValue(new ApiError(400, { code: "invalid", message: "name: This name is taken.", details: {} }));
    const onClose = vi.fn();
    render(<NameDialog title="Rename" label="File name" initial="a.py" submitLabel="Rename" onSubmit={onSubmit} onClose={onClose} />);
    await userEvent.click(screen.getByRole("button", { name: "Rename" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("This name is taken.");
    expect(onClose).not.toHaveBeenCalled();
  });

  it("validates locally before sending", async () => {
    const onSubmit = vi.fn();
    render(
      <NameDialog title="New" label="File name" submitLabel="Create" onSubmit={onSubmit} onClose={() => undefined} validate={(v) => fileNameProblem(v, ["main.py"])} />,
    );
    await userEvent.type(screen.getByLabelText("File name"), "main.py");
    expect(screen.getByText("A file with this name exists.")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Create" })).toBeDisabled();
  });

  it("closes on Escape", async () => {
    const onClose = vi.fn();
    render(<NameDialog title="New" label="File name" submitLabel="Create" onSubmit={vi.fn()} onClose={onClose} />);
    await userEvent.keyboard("{Escape}");
    expect(onClose).toHaveBeenCalled();
  });
});

describe("fileNameProblem", () => {
  it("applies the API's rule", () => {
    expect(fileNameProblem("ok.py")).toBeNull();
    expect(fileNameProblem("a/b.py")).toMatch(/slash/);
    expect(fileNameProblem("..x")).toMatch(/\.\./);
    expect(fileNameProblem("x".repeat(101))).toMatch(/100/);
  });

  it("refuses what the sandbox cannot run, saying what to change", () => {
    expect(fileNameProblem("my file.py")).toMatch(/No spaces.*use _ or -/);
    expect(fileNameProblem("données.py")).toMatch(/not “é”/);
    expect(fileNameProblem(".env")).toMatch(/Start with a letter/);
    expect(fileNameProblem("my_file-2.py")).toBeNull();
    expect(fileNameProblem("a+b.cpp")).toBeNull();
  });
});
