import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import type { DocumentHistory, HistoryEvent } from "../api/types";
import { tokenStore } from "../api/tokens";
import { json, mockApi } from "../test/render";
import { ReplayPanel } from "./ReplayPanel";

const at = (s: number) => new Date(Date.UTC(2030, 0, 1, 9, 0, s)).toISOString();
const edit = (seq: number, pos: number, insert: string, extra: Partial<HistoryEvent> = {}): HistoryEvent => ({
  seq, at: at(seq), author: { kind: "participant", id: "p1", name: "Ada" }, edit: { pos, delete: 0, insert },
  inserted: insert.length, deleted: 0, paste: false, resynced: false, ...extra,
});  // prettier-ignore

const history: DocumentHistory = {
  document_id: "f1",
  name: "main.py",
  base_text: "",
  events: [
    edit(1, 0, "pri"),
    edit(2, 3, "nt(1)"),
    edit(3, 8, "\nfor i in range(10):\n    print(i)", { paste: true, author: { kind: "teacher", id: "t1", name: "Ms T" } }),
  ],
  final_text: "print(1)\nfor i in range(10):\n    print(i)",
};

const slider = () => screen.getByRole("slider", { name: "Replay position" });
const text = () => screen.getByTestId("replay-text").textContent;

describe("ReplayPanel", () => {
  beforeEach(() => tokenStore.setPair({ access: "a", refresh: "r" }));

  it("opens at the end and replays any step with the slider", async () => {
    mockApi({ "GET /api/documents/f1/history": history });
    render(<ReplayPanel documentId="f1" />);
    await waitFor(() => expect(screen.getByTestId("replay")).toHaveTextContent("Step 3 of 3"));
    expect(text()).toBe(history.final_text);
    expect(screen.getByText("pasted 33 chars")).toBeInTheDocument();
    expect(screen.getByText("1 paste (33 chars)")).toBeInTheDocument();

    fireEvent.change(slider(), { target: { value: "1" } });
    expect(text()).toBe("pri");
    expect(screen.getByTestId("replay")).toHaveTextContent("Step 1 of 3");
    expect(screen.getByTestId("replay")).toHaveTextContent("Ada");

    fireEvent.change(slider(), { target: { value: "2" } });
    expect(text()).toBe("print(1)");
    expect(screen.queryByText("typed offline, arrived on reconnect")).toBeNull();
    fireEvent.change(slider(), { target: { value: "0" } });
    expect(text()).toBe("");
    expect(screen.getByTestId("replay")).toHaveTextContent("Step 0 of 3 · start");
  });

  it("tells offline typing delivered on reconnect apart from a paste", async () => {
    const offline = { ...history, events: [edit(1, 0, "print('typed while the network was down')", { resynced: true })],
                      final_text: "print('typed while the network was down')" };  // prettier-ignore
    mockApi({ "GET /api/documents/f1/history": offline });
    render(<ReplayPanel documentId="f1" />);
    expect(await screen.findByText("typed offline, arrived on reconnect")).toBeInTheDocument();
    expect(screen.queryByText(/^pasted/)).toBeNull();
    expect(screen.getByText("no pastes")).toBeInTheDocument();
  });

  it("plays from the start when Play is pressed at the end", async () => {
    mockApi({ "GET /api/documents/f1/history": history });
    render(<ReplayPanel documentId="f1" />);
    await screen.findByTestId("replay");
    await userEvent.selectOptions(screen.getByLabelText("Playback speed"), "16");
    await userEvent.click(screen.getByRole("button", { name: "▶ Play" }));
    expect(screen.getByRole("button", { name: "❚❚ Pause" })).toBeInTheDocument();
    await screen.findByRole("button", { name: "▶ Play" }, { timeout: 2000 });
    expect(text()).toBe(history.final_text);
  });

  it("says when there is nothing to replay", async () => {
    mockApi({ "GET /api/documents/f1/history": { ...history, events: [], final_text: "" } });
    render(<ReplayPanel documentId="f1" />);
    expect(await screen.findByText("Nothing to replay yet")).toBeInTheDocument();
  });

  it("says why the history could not load, and retries", async () => {
    let calls = 0;
    mockApi({ "GET /api/documents/f1/history": () => (++calls === 1 ? json(404, null) : json(200, history)) });
    render(<ReplayPanel documentId="f1" />);
    expect(await screen.findByRole("alert")).toHaveTextContent("Not found.");
    await userEvent.click(screen.getByRole("button", { name: "Retry" }));
    expect(await screen.findByTestId("replay")).toBeInTheDocument();
  });
});
