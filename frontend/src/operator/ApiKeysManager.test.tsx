import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { bodyOf, json, mockApi } from "../test/render";
import { ApiKeysManager } from "./ApiKeysManager";
import type { ManagedApiKey } from "./types";

function key(prefix: string, patch: Partial<ManagedApiKey> = {}): ManagedApiKey {
  return {
    id: `id-${prefix}`, name: "LMS grader", owner: "ada", prefix, scopes: ["execute", "read"], expires_at: null, allowed_ips: [],
    requests_rate: "", executions_rate: "", test_sessions_rate: "", webhook_url: "", created_at: "2026-12-01T10:00:00Z",
    revoked_at: null, last_used_at: null, use_count: 0, is_active: true, ...patch,
  };  // prettier-ignore
}

const invalid = (details: Record<string, string[]>) => json(400, { error: { code: "invalid", message: "The request was not valid.", details } });

describe("ApiKeysManager", () => {
  it("lists each key with its webhook URL and test sessions rate", async () => {
    mockApi({ "GET /api/integrations/keys/": [key("ab12cd34", { webhook_url: "https://lms.example.org/hook", test_sessions_rate: "20/h" }), key("ef56ab78", { name: "Old" })] });
    render(<ApiKeysManager title="Keys" headingLevel={3} showOwner />);
    const rows = await screen.findAllByTestId("managed-key-row");
    expect(within(rows[0]!).getAllByRole("cell").map((c) => c.textContent).slice(1, 4)).toEqual(["execute, read", "https://lms.example.org/hook", "20/h"]);
    expect(within(rows[1]!).getAllByRole("cell").map((c) => c.textContent).slice(2, 4)).toEqual(["none", "default"]);
  });

  it("makes a key with a webhook URL and a test sessions rate, and shows its secrets once", async () => {
    const user = userEvent.setup();
    const fetcher = mockApi({
      "GET /api/integrations/keys/": [],
      "POST /api/integrations/keys/": (_url: string, init: RequestInit) =>
        json(201, { ...key("11aa22bb", { ...(bodyOf(init) as object) }), secret: "obs_11aa22bb_s3cret", webhook_secret: "f00d" }),
    });
    render(<ApiKeysManager title="Keys" headingLevel={3} showOwner />);
    await screen.findByText("No API key yet");
    await user.click(screen.getByRole("button", { name: "New key" }));
    const form = screen.getByRole("form", { name: "New API key" });
    await user.type(within(form).getByLabelText("Name"), "Interviews");
    await user.click(within(form).getByLabelText("Test sessions"));
    await user.click(within(form).getByLabelText("Read results"));
    await user.type(within(form).getByLabelText("Webhook URL (optional)"), " https://hire.example.org/observer ");
    await user.type(within(form).getByLabelText("Test sessions rate (optional)"), "20/h");
    await user.click(within(form).getByRole("button", { name: "Make key" }));

    const issued = await screen.findByTestId("issued-key");
    expect(within(issued).getByTestId("issued-secret")).toHaveTextContent("obs_11aa22bb_s3cret");
    expect(within(issued).getByTestId("issued-webhook-secret")).toHaveTextContent("f00d");
    const post = fetcher.mock.calls.find(([, init]) => init?.method === "POST")!;
    expect(bodyOf(post[1]!)).toEqual({
      name: "Interviews", scopes: ["execute", "test-sessions"], webhook_url: "https://hire.example.org/observer",
      test_sessions_rate: "20/h", executions_rate: "", requests_rate: "",
    });  // prettier-ignore
    const [row] = screen.getAllByTestId("managed-key-row");
    expect(row).toHaveTextContent("https://hire.example.org/observer");
    expect(row).toHaveTextContent("20/h");
    expect(row).not.toHaveTextContent("s3cret");
    await user.click(screen.getByRole("button", { name: "I have copied them" }));
    expect(screen.queryByText("obs_11aa22bb_s3cret")).not.toBeInTheDocument();
  });

  it("shows the server's refusal next to the webhook URL and the rate, and keeps what was typed", async () => {
    const user = userEvent.setup();
    mockApi({
      "GET /api/integrations/keys/": [],
      "POST /api/integrations/keys/": () =>
        invalid({
          webhook_url: ["The webhook URL points at a non-public address (169.254.169.254): loopback, private, link-local and metadata addresses are refused."],
          test_sessions_rate: ["A count and a period: e.g. 10/m, 200/15m, 1000/d (s, m, h or d)."],
        }),
    });
    render(<ApiKeysManager title="Keys" headingLevel={3} showOwner />);
    await user.click(await screen.findByRole("button", { name: "New key" }));
    const form = screen.getByRole("form", { name: "New API key" });
    await user.type(within(form).getByLabelText("Name"), "Bad");
    await user.type(within(form).getByLabelText("Webhook URL (optional)"), "http://169.254.169.254/");
    await user.type(within(form).getByLabelText("Test sessions rate (optional)"), "lots");
    await user.click(within(form).getByRole("button", { name: "Make key" }));

    const url = within(form).getByLabelText("Webhook URL (optional)");
    await waitFor(() => expect(url).toHaveAttribute("aria-invalid", "true"));
    expect(url).toHaveAccessibleDescription(/non-public address \(169\.254\.169\.254\)/);
    expect(url).toHaveValue("http://169.254.169.254/");
    expect(within(form).getByLabelText("Test sessions rate (optional)")).toHaveAccessibleDescription(/A count and a period/);
    expect(within(form).getByLabelText("Name")).not.toHaveAttribute("aria-invalid");
    expect(screen.queryByTestId("issued-key")).not.toBeInTheDocument();
    expect(screen.queryAllByTestId("managed-key-row")).toHaveLength(0);
  });

  it("changes a key's webhook URL and rate, with the server's refusal shown first", async () => {
    const user = userEvent.setup();
    let tries = 0;
    const fetcher = mockApi({
      "GET /api/integrations/keys/": [key("ab12cd34", { webhook_url: "https://lms.example.org/hook" })],
      "PATCH /api/integrations/keys/id-ab12cd34/": (_url: string, init: RequestInit) =>
        ++tries === 1 ? invalid({ test_sessions_rate: ["A count and a period: e.g. 10/m, 200/15m, 1000/d (s, m, h or d)."] }) : json(200, key("ab12cd34", bodyOf(init) as Partial<ManagedApiKey>)),
    });
    render(<ApiKeysManager title="Keys" headingLevel={3} showOwner />);
    await user.click(await screen.findByRole("button", { name: "Change LMS grader" }));
    const form = screen.getByRole("form", { name: "Change LMS grader" });
    const url = within(form).getByLabelText("Webhook URL (optional)");
    expect(url).toHaveValue("https://lms.example.org/hook");
    await user.clear(url);
    await user.type(url, "https://lms.example.org/v2/hook");
    const rate = within(form).getByLabelText("Test sessions rate (optional)");
    await user.type(rate, "5 a minute");
    await user.click(within(form).getByRole("button", { name: "Save changes" }));
    expect(await within(form).findByTestId("error-test_sessions_rate")).toHaveTextContent("A count and a period");
    expect(rate).toHaveAttribute("aria-invalid", "true");

    await user.clear(rate);
    await user.type(rate, "5/m");
    await user.click(within(form).getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(screen.queryByRole("form")).not.toBeInTheDocument());
    const patch = fetcher.mock.calls.filter(([, init]) => init?.method === "PATCH").at(-1)!;
    expect(bodyOf(patch[1]!)).toMatchObject({ webhook_url: "https://lms.example.org/v2/hook", test_sessions_rate: "5/m", name: "LMS grader" });
    const [row] = screen.getAllByTestId("managed-key-row");
    expect(row).toHaveTextContent("https://lms.example.org/v2/hook");
    expect(row).toHaveTextContent("5/m");
  });

  it("offers no change for a revoked key", async () => {
    mockApi({ "GET /api/integrations/keys/": [key("ab12cd34", { revoked_at: "2026-12-01T11:00:00Z", is_active: false })] });
    render(<ApiKeysManager title="Keys" headingLevel={3} showOwner />);
    const [row] = await screen.findAllByTestId("managed-key-row");
    expect(row).toHaveTextContent("revoked");
    expect(within(row!).queryByRole("button")).not.toBeInTheDocument();
  });

  it("names each key's owner for an admin, and not where they are all the reader's own", async () => {
    mockApi({ "GET /api/integrations/keys/": [key("ab12cd34", { owner: "grace" })] });
    const { unmount } = render(<ApiKeysManager title="Keys" headingLevel={3} showOwner />);
    expect((await screen.findAllByTestId("managed-key-row"))[0]).toHaveTextContent("grace");
    expect(screen.getByRole("heading", { level: 3, name: "Keys" })).toBeInTheDocument();
    unmount();
    render(<ApiKeysManager title="Your keys" headingLevel={2} showOwner={false} />);
    expect((await screen.findAllByTestId("managed-key-row"))[0]).not.toHaveTextContent("grace");
    expect(screen.getByRole("table", { name: "Your keys" })).toBeInTheDocument();
  });

  it("gives a key a new secret once confirmed, shows it once, and lists the new prefix", async () => {
    const user = userEvent.setup();
    const fetcher = mockApi({
      "GET /api/integrations/keys/": [key("ab12cd34", { use_count: 5 })],
      "POST /api/integrations/keys/id-ab12cd34/rotate": () =>
        json(200, { ...key("99ff88ee", { id: "id-ab12cd34", use_count: 5 }), secret: "obs_99ff88ee_n3w", webhook_secret: "unchanged" }),
    });
    render(<ApiKeysManager title="Keys" headingLevel={3} showOwner />);
    await user.click(await screen.findByRole("button", { name: "New secret for LMS grader" }));
    const dialog = screen.getByRole("dialog", { name: "A new secret for LMS grader?" });
    expect(dialog).toHaveTextContent("The current secret stops working at once");
    await user.click(within(dialog).getByRole("button", { name: "Make a new secret" }));

    const issued = await screen.findByTestId("issued-key");
    expect(within(issued).getByTestId("issued-secret")).toHaveTextContent("obs_99ff88ee_n3w");
    expect(issued).toHaveTextContent("the old one no longer works");
    expect(within(issued).queryByTestId("issued-webhook-secret")).not.toBeInTheDocument();
    await waitFor(() => expect(issued).toHaveFocus());
    expect(fetcher.mock.calls.filter(([url]) => String(url).endsWith("/rotate"))).toHaveLength(1);
    const [row] = screen.getAllByTestId("managed-key-row");
    expect(row).toHaveAttribute("data-prefix", "99ff88ee");
    expect(row).not.toHaveTextContent("n3w");
    await user.click(within(issued).getByRole("button", { name: "I have copied it" }));
    expect(screen.queryByText("obs_99ff88ee_n3w")).not.toBeInTheDocument();
  });

  it("keeps the dialog open with the server's refusal when revoking fails", async () => {
    const user = userEvent.setup();
    mockApi({
      "GET /api/integrations/keys/": [key("ab12cd34")],
      "POST /api/integrations/keys/id-ab12cd34/revoke": () => json(404, { error: { code: "not_found", message: "Not found.", details: {} } }),
    });
    render(<ApiKeysManager title="Keys" headingLevel={3} showOwner />);
    await user.click(await screen.findByRole("button", { name: "Revoke LMS grader" }));
    const dialog = screen.getByRole("dialog", { name: "Revoke LMS grader?" });
    await user.click(within(dialog).getByRole("button", { name: "Revoke key" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("Not found.");
    const [row] = screen.getAllByTestId("managed-key-row");
    expect(row).not.toHaveTextContent("revoked");
  });
});
