import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { bodyOf, json, mockApi } from "../test/render";
import { AiProviderPanel } from "./AiProviderPanel";

const SAVED = { scope: "deployment", base_url: "http://llm.local/v1", model: "tutor", organization: "", key_hint: "sk-…wxyz", set_by: "Root", set_at: "2026-01-01T10:00:00Z" };
const NONE = () => json(404, { error: { code: "not_found", message: "No AI provider is configured here.", details: {} } });

describe("AiProviderPanel", () => {
  it("sets the deployment's provider: the key is sent once and never shown, then the connection is tested", async () => {
    const fetcher = mockApi({
      "GET /api/assist/provider": NONE,
      "PUT /api/assist/provider": SAVED,
      "POST /api/assist/provider/test": { ok: true, model: "tutor" },
    });
    render(<AiProviderPanel />);
    const panel = await screen.findByTestId("op-ai-provider");
    await waitFor(() => expect(within(panel).getByTestId("provider-key-state")).toHaveTextContent("Key: not set."));
    expect(within(panel).queryByRole("button", { name: "Test connection" })).toBeNull();
    const url = within(panel).getByLabelText("Base URL");
    await userEvent.clear(url);
    await userEvent.type(url, "http://llm.local/v1/");
    await userEvent.type(within(panel).getByLabelText("Model"), "tutor");
    await userEvent.type(within(panel).getByLabelText("API key"), "sk-secret-wxyz");
    await userEvent.click(within(panel).getByRole("button", { name: "Save provider" }));
    await within(panel).findByText("Saved. The key is stored encrypted.");
    const put = fetcher.mock.calls.find(([, init]) => (init as RequestInit).method === "PUT")!;
    expect(bodyOf(put[1] as RequestInit)).toEqual({ base_url: "http://llm.local/v1/", model: "tutor", organization: "", api_key: "sk-secret-wxyz" });
    // Write-only: the field is empty again and the page says only that a key is set.
    expect(within(panel).getByLabelText("API key")).toHaveValue("");
    expect(within(panel).getByTestId("provider-key-state")).toHaveTextContent(/^Key: set by Root/);
    expect(panel.textContent).not.toContain("wxyz");
    await userEvent.click(within(panel).getByRole("button", { name: "Test connection" }));
    await within(panel).findByText("Connected: tutor answered.");
  });

  it("keeps the key when saved without one, says why a test failed, and removes the provider", async () => {
    const fetcher = mockApi({
      "GET /api/assist/provider": SAVED,
      "PUT /api/assist/provider": { ...SAVED, model: "bigger" },
      "POST /api/assist/provider/test": () => json(502, { error: { code: "provider_refused_key", message: "The provider refused the key.", details: {} } }),
      "DELETE /api/assist/provider": () => json(204, null),
    });
    render(<AiProviderPanel />);
    const panel = await screen.findByTestId("op-ai-provider");
    const model = await within(panel).findByLabelText("Model");
    expect(model).toHaveValue("tutor");
    await userEvent.click(within(panel).getByRole("button", { name: "Test connection" }));
    expect(await within(panel).findByRole("alert")).toHaveTextContent("The provider refused the key.");
    await userEvent.clear(model);
    await userEvent.type(model, "bigger");
    expect(within(panel).getByRole("button", { name: "Test connection" })).toBeDisabled();
    await userEvent.click(within(panel).getByRole("button", { name: "Save provider" }));
    await within(panel).findByText("Saved. The key is stored encrypted.");
    const put = fetcher.mock.calls.find(([, init]) => (init as RequestInit).method === "PUT")!;
    expect(bodyOf(put[1] as RequestInit)).not.toHaveProperty("api_key");
    await userEvent.click(within(panel).getByRole("button", { name: "Remove provider" }));
    await waitFor(() => expect(within(panel).getByTestId("provider-key-state")).toHaveTextContent("Key: not set."));
  });
});
