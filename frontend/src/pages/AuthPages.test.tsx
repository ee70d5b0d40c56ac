import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { User } from "../api/types";
import { tokenStore } from "../api/tokens";
import { bodyOf, json, mockApi, renderAt } from "../test/render";
import { LoginPage, RegisterPage } from "./AuthPages";

const teacher: User = { id: "t1", username: "mst", email: "", display_name: "Ms T", role: "teacher", guest: false };
const student: User = { ...teacher, id: "u1", username: "ada", display_name: "Ada", role: "student" };
const answer = (user: User) => ({ access: "header.eyJleHAiOjk5OTk5OTk5OTl9.sig", refresh: "refresh", user });
const invalid = (details: Record<string, string[]>) => () =>
  json(400, { error: { code: "invalid", message: Object.values(details)[0]![0], details } });

function open(path: string) {
  renderAt(path, [
    { path: "/login", element: <LoginPage /> },
    { path: "/register", element: <RegisterPage /> },
    { path: "/teach", element: <div data-testid="teach-page" /> },
    { path: "/", element: <div data-testid="home-page" /> },
    { path: "/s/:sessionId", element: <div data-testid="class-page" /> },
  ]);
}

describe("LoginPage", () => {
  it("signs a teacher in, keeps the tokens and goes to their sessions", async () => {
    const fetcher = mockApi({ "POST /api/auth/login": answer(teacher) });
    open("/login");
    await userEvent.type(screen.getByLabelText("Username"), " mst ");
    await userEvent.type(screen.getByLabelText("Password"), "Correct-horse-42");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByTestId("teach-page")).toBeInTheDocument();
    const login = fetcher.mock.calls.find(([url]) => String(url).endsWith("/api/auth/login"));
    expect(bodyOf(login![1] as RequestInit)).toEqual({ username: "mst", password: "Correct-horse-42" });
    expect(tokenStore.getPair()?.refresh).toBe("refresh");
  });

  it("goes where ?next= says after signing in", async () => {
    mockApi({ "POST /api/auth/login": answer(student) });
    open("/login?next=/s/abc");
    await userEvent.type(screen.getByLabelText("Username"), "ada");
    await userEvent.type(screen.getByLabelText("Password"), "pw");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByTestId("class-page")).toBeInTheDocument();
  });

  it("sends a user who is already signed in on, to ?next= too", async () => {
    tokenStore.setPair({ access: "a", refresh: "r" });
    mockApi({ "GET /api/auth/me": teacher });
    open("/login?next=/s/abc");
    expect(await screen.findByTestId("class-page")).toBeInTheDocument();
  });

  it("ignores a ?next= that leaves the site", async () => {
    mockApi({ "POST /api/auth/login": answer(student) });
    open("/login?next=//evil.example/");
    await userEvent.type(screen.getByLabelText("Username"), "ada");
    await userEvent.type(screen.getByLabelText("Password"), "pw");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByTestId("home-page")).toBeInTheDocument();
  });

  it("says a wrong password plainly and stays on the page", async () => {
    mockApi({ "POST /api/auth/login": () => json(401, { error: { code: "authentication_failed", message: "Wrong username or password.", details: {} } }) });
    open("/login");
    await userEvent.type(screen.getByLabelText("Username"), "ada");
    await userEvent.type(screen.getByLabelText("Password"), "nope");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong username or password.");
    expect(tokenStore.getPair()).toBeNull();
  });

  it("blocks the button with a countdown when rate limited", async () => {
    mockApi({ "POST /api/auth/login": () => json(429, { error: { code: "rate_limited", message: "Too many attempts.", details: { retry_after: 45 } } }) });
    open("/login");
    await userEvent.type(screen.getByLabelText("Username"), "ada");
    await userEvent.type(screen.getByLabelText("Password"), "nope");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("timer")).toHaveTextContent(/Try again in (45|44) s/);
    expect(screen.getByRole("button", { name: "Sign in" })).toBeDisabled();
  });
});

describe("RegisterPage", () => {
  it("registers a student and signs them in", async () => {
    const fetcher = mockApi({ "POST /api/auth/register": () => json(201, answer(student)) });
    open("/register");
    await userEvent.type(screen.getByLabelText("Username"), "ada");
    await userEvent.type(screen.getByLabelText("Display name"), "Ada L");
    await userEvent.type(screen.getByLabelText("Password"), "Correct-horse-42");
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByTestId("home-page")).toBeInTheDocument();
    expect(tokenStore.getPair()?.refresh).toBe("refresh");
    expect(bodyOf(fetcher.mock.calls[0]![1] as RequestInit)).toMatchObject({ username: "ada", display_name: "Ada L", role: "student", invite_code: "" });
  });

  it("asks a teacher for the invite code and sends it", async () => {
    const fetcher = mockApi({ "POST /api/auth/register": () => json(201, answer(teacher)) });
    open("/register");
    await userEvent.type(screen.getByLabelText("Username"), "mst");
    await userEvent.type(screen.getByLabelText("Password"), "Correct-horse-42");
    await userEvent.click(screen.getByLabelText("I am a teacher"));
    await userEvent.type(screen.getByLabelText("Teacher invite code"), "SCHOOL-1");
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByTestId("teach-page")).toBeInTheDocument();
    expect(bodyOf(fetcher.mock.calls[0]![1] as RequestInit)).toMatchObject({ role: "teacher", invite_code: "SCHOOL-1" });
  });

  it("puts each field's error under its field", async () => {
    mockApi({ "POST /api/auth/register": invalid({ username: ["This username is taken."], password: ["This password is too common."] }) });
    open("/register");
    await userEvent.type(screen.getByLabelText("Username"), "ada");
    await userEvent.type(screen.getByLabelText("Password"), "password");
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByText("This username is taken.")).toHaveClass("field-error");
    expect(screen.getByText("This password is too common.")).toHaveClass("field-error");
  });

  it("never hides an error about a field that is not on screen", async () => {
    mockApi({ "POST /api/auth/register": invalid({ role: ['"superuser" is not a valid choice.'] }) });
    open("/register");
    await userEvent.type(screen.getByLabelText("Username"), "ada");
    await userEvent.type(screen.getByLabelText("Password"), "Correct-horse-42");
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByRole("alert")).toHaveTextContent('"superuser" is not a valid choice.');
  });
});
