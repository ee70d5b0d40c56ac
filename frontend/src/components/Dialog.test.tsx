import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it } from "vitest";
import { Dialog } from "./Dialog";

function Page() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>Open it</button>
      <button type="button">Behind</button>
      {open ? (
        <Dialog title="Sure?" onClose={() => setOpen(false)}>
          <input aria-label="Reason" />
          <button type="button">Yes</button>
          <button type="button" onClick={() => setOpen(false)}>No</button>
        </Dialog>
      ) : null}
    </>
  );
}

describe("Dialog", () => {
  it("takes the focus, keeps Tab inside, and gives the focus back on closing", async () => {
    const user = userEvent.setup();
    render(<Page />);
    await user.click(screen.getByRole("button", { name: "Open it" }));
    expect(screen.getByLabelText("Reason")).toHaveFocus();
    await user.tab();
    await user.tab();
    expect(screen.getByRole("button", { name: "No" })).toHaveFocus();
    await user.tab(); // round to the first, never to the page behind
    expect(screen.getByLabelText("Reason")).toHaveFocus();
    await user.tab({ shift: true });
    expect(screen.getByRole("button", { name: "No" })).toHaveFocus();
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(screen.getByRole("button", { name: "Open it" })).toHaveFocus();
  });
});
