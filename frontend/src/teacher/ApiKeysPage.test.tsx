import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { describe, expect, it } from "vitest";
import { tokenStore } from "../api/tokens";
import type { User } from "../api/types";
import { AppRoutes } from "../App";
import { AuthProvider } from "../auth/AuthContext";
import type { ManagedApiKey } from "../operator/types";
import { bodyOf, json, mockApi } from "../test/render";
import { teacher } from "../test/teacher";

function key(prefix: string, patch: Partial<ManagedApiKey> = {}): ManagedApiKey {
  return {
    id: `id-${prefix}`, name: "Course site", owner: teacher.username, prefix, scopes: ["execute", "read"], expires_at: null, allowed_ips: [],
    requests_rate: "", executions_rate: "", test_sessions_rate: "", webhook_url: "", created_at: "2026-12-01T10:00:00Z",
    revoked_at: null, last_used_at: null, use_count: 0, is_active: true, ...patch,
  };  // prettier-ignore
}

/** The whole app at /account/keys, signed in as `who`: the route's guard and the header included. */
function openKeysPage(who: User, routes: Record<string, unknown>) {
  tokenStore.setPair({ access: "header.eyJleHAiOjk5OTk5OTk5OTl9.sig", refresh: "r" });
  const fetcher = mockApi({ "GET /api/auth/me": who, ...routes });
  render(
    <AuthProvider>
      <MemoryRouter initialEntries={["/account/keys"]}>
        <AppRoutes />
      </MemoryRouter>
    </AuthProvider>,
  );
  return fetcher;
}

const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000).toISOString();

describe("ApiKeysPage (a teacher's own API keys)", () => {
  it("lists the teacher's keys with when each was last used and how often, without an owner column", async () => {
    openKeysPage(teacher, {
      "GET /api/integrations/keys/": [
        key("ab12cd34", { last_used_at: minutesAgo(3), use_count: 12, webhook_url: "https://course.example.org/hook" }),
        key("ef56ab78", { name: "Old plugin" }),
      ],
    });
    expect(await screen.findByRole("heading", { level: 1, name: "API keys" })).toBeInTheDocument();
    expect(screen.getByRole("heading", { level: 2, name: "Your keys" })).toBeInTheDocument();
    const rows = await screen.findAllByTestId("managed-key-row");
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getByTestId("key-last-used")).toHaveTextContent("3 min ago · 12 uses");
    expect(within(rows[1]!).getByTestId("key-last-used")).toHaveTextContent("never · 0 uses");
    expect(rows[0]).toHaveTextContent("https://course.example.org/hook");
    // Every key here is the teacher's: the owner's name is not repeated on each row.
    expect(rows[0]).not.toHaveTextContent(teacher.username);
    expect(within(rows[0]!).getByRole("button", { name: "Revoke Course site" })).toBeInTheDocument();
    expect(within(rows[0]!).getByRole("button", { name: "New secret for Course site" })).toBeInTheDocument();
    // The header's link to this page (where a teacher looks, beside My sessions) is the current one.
    expect(screen.getByRole("link", { name: "API keys" })).toHaveAttribute("aria-current", "page");
  });

  it("makes a key and shows its secret and webhook secret once", async () => {
    const user = userEvent.setup();
    const fetcher = openKeysPage(teacher, {
      "GET /api/integrations/keys/": [],
      "POST /api/integrations/keys/": (_url: string, init: RequestInit) =>
        json(201, { ...key("11aa22bb", bodyOf(init) as Partial<ManagedApiKey>), secret: "obs_11aa22bb_s3cret", webhook_secret: "f00dcafe" }),
    });
    await screen.findByText("No API key yet");
    await user.click(screen.getByRole("button", { name: "New key" }));
    const form = screen.getByRole("form", { name: "New API key" });
    await user.type(within(form).getByLabelText("Name"), "Course site");
    await user.click(within(form).getByRole("button", { name: "Make key" }));

    const issued = await screen.findByTestId("issued-key");
    expect(within(issued).getByTestId("issued-secret")).toHaveTextContent("obs_11aa22bb_s3cret");
    expect(within(issued).getByTestId("issued-webhook-secret")).toHaveTextContent("f00dcafe");
    const post = fetcher.mock.calls.find(([, init]) => init?.method === "POST")!;
    expect(bodyOf(post[1]!)).toMatchObject({ name: "Course site", scopes: ["execute", "read"] });
    expect(bodyOf(post[1]!)).not.toHaveProperty("owner");
    const [row] = screen.getAllByTestId("managed-key-row");
    expect(row).toHaveTextContent("11aa22bb…");
    expect(row).not.toHaveTextContent("s3cret");
    await user.click(screen.getByRole("button", { name: "I have copied them" }));
    expect(screen.queryByText("obs_11aa22bb_s3cret")).not.toBeInTheDocument();
    expect(screen.queryByText("f00dcafe")).not.toBeInTheDocument();
  });

  it("shows the server's refusal next to the field it is about, and makes nothing", async () => {
    const user = userEvent.setup();
    openKeysPage(teacher, {
      "GET /api/integrations/keys/": [],
      "POST /api/integrations/keys/": () =>
        json(400, {
          error: { code: "invalid", message: "The request was not valid.", details: { webhook_url: ["The webhook URL points at a non-public address (10.0.0.5)."] } },
        }),
    });
    await user.click(await screen.findByRole("button", { name: "New key" }));
    const form = screen.getByRole("form", { name: "New API key" });
    await user.type(within(form).getByLabelText("Name"), "Course site");
    await user.type(within(form).getByLabelText("Webhook URL (optional)"), "http://10.0.0.5/hook");
    await user.click(within(form).getByRole("button", { name: "Make key" }));

    const url = within(form).getByLabelText("Webhook URL (optional)");
    await waitFor(() => expect(url).toHaveAttribute("aria-invalid", "true"));
    expect(url).toHaveAccessibleDescription("The webhook URL points at a non-public address (10.0.0.5).");
    expect(within(form).getByLabelText("Name")).not.toHaveAttribute("aria-invalid");
    expect(screen.queryByTestId("issued-key")).not.toBeInTheDocument();
    expect(screen.queryAllByTestId("managed-key-row")).toHaveLength(0);
  });

  it("revokes a key only once the teacher confirms, then marks it revoked with nothing left to press", async () => {
    const user = userEvent.setup();
    const fetcher = openKeysPage(teacher, {
      "GET /api/integrations/keys/": [key("ab12cd34", { last_used_at: minutesAgo(1), use_count: 3 })],
      "POST /api/integrations/keys/id-ab12cd34/revoke": () =>
        json(200, key("ab12cd34", { revoked_at: new Date().toISOString(), is_active: false, last_used_at: minutesAgo(1), use_count: 3 })),
    });
    const revokes = () => fetcher.mock.calls.filter(([url]) => String(url).endsWith("/revoke"));
    await user.click(await screen.findByRole("button", { name: "Revoke Course site" }));
    let dialog = screen.getByRole("dialog", { name: "Revoke Course site?" });
    expect(dialog).toHaveTextContent("refused from now on");
    await user.click(within(dialog).getByRole("button", { name: "Keep it" }));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(revokes()).toHaveLength(0);

    await user.click(screen.getByRole("button", { name: "Revoke Course site" }));
    dialog = screen.getByRole("dialog", { name: "Revoke Course site?" });
    await user.click(within(dialog).getByRole("button", { name: "Revoke key" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(revokes()).toHaveLength(1);
    const [row] = screen.getAllByTestId("managed-key-row");
    expect(within(row!).getByText("revoked")).toBeInTheDocument();
    expect(within(row!).queryByRole("button")).not.toBeInTheDocument();
    expect(row).toHaveTextContent("1 min ago · 3 uses");
    expect(screen.getByText("Course site is revoked: it no longer works.")).toBeInTheDocument();
  });

  it("is not a student's page, and asks the server for no keys", async () => {
    const student: User = { ...teacher, id: "s1", username: "stu", display_name: "Stu", role: "student" };
    const fetcher = openKeysPage(student, {});
    expect(await screen.findByRole("heading", { name: "Not available" })).toBeInTheDocument();
    expect(fetcher.mock.calls.map(([url]) => String(url))).not.toContain("/api/integrations/keys/");
    expect(screen.queryByRole("link", { name: "API keys" })).not.toBeInTheDocument();
  });
});
