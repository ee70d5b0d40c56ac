import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { mockApi } from "../test/render";
import { ApiKeysPanel } from "./ApiKeysPanel";
import type { ApiKeyActivity } from "./types";

function key(prefix: string, patch: Partial<ApiKeyActivity> = {}): ApiKeyActivity {
  return {
    id: `id-${prefix}`, name: "LMS grader", prefix, owner: "ada", active: true, last_used_at: new Date().toISOString(),
    use_count: 40, runs_last_hour: 3, runs_last_day: 12, failed_last_day: 2, last_run_at: new Date().toISOString(),
    webhooks_failed_last_day: 1, ...patch,
  };  // prettier-ignore
}

describe("ApiKeysPanel", () => {
  it("lists each key by name and prefix with its runs, failures and last use", async () => {
    mockApi({ "GET /api/monitoring/api-keys": [key("obs_ab12"), key("obs_cd34", { name: "Old tool", active: false, last_used_at: null })], "GET /api/integrations/keys/": [] });
    render(<ApiKeysPanel refreshKey={0} />);
    const rows = await screen.findAllByTestId("api-key-row");
    expect(rows).toHaveLength(2);
    const cells = within(rows[0]!).getAllByRole("cell").map((cell) => cell.textContent);
    expect(cells).toEqual(["LMS grader obs_ab12…", "ada", "3", "12", "2", "1", "just now"]);
    expect(rows[1]).toHaveTextContent("revoked or expired");
    expect(rows[1]).toHaveTextContent("never");
    expect(screen.getByRole("columnheader", { name: "Not ok, day" })).toBeInTheDocument();
  });

  it("says when no key was used", async () => {
    mockApi({ "GET /api/monitoring/api-keys": [], "GET /api/integrations/keys/": [] });
    render(<ApiKeysPanel refreshKey={0} />);
    expect(await screen.findByText("No API key was used in the last day")).toBeInTheDocument();
  });
});
