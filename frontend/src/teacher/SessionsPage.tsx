import { useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { sessions } from "../api/endpoints";
import type { ClassSession } from "../api/types";
import { EmptyState, ErrorState, LoadingState } from "../components/States";
import { TopBar } from "../components/TopBar";
import { formatDateTime } from "../components/time";
import { languageInfo } from "../editor/languages";
import { useResource } from "../hooks/useResource";
import { SessionForm } from "./SessionForm";
import { usePageTitle } from "../components/a11y";

export function StateBadge({ state }: { state: ClassSession["state"] }) {
  const label = state === "live" ? "Live" : state === "draft" ? "Not started" : "Ended";
  return <span className={`badge ${state}`}>{label}</span>;
}

interface Older {
  items: ClassSession[];
  pages: number;
  hasNext: boolean;
}

/** The teacher's sessions: create a new one, open a live or past one. The list comes in
 * pages (live sessions first, then newest first); older ones load on request. */
export default function SessionsPage() {
  usePageTitle("My sessions");
  const navigate = useNavigate();
  const list = useResource((signal) => sessions.list(1, signal), []);
  const [creating, setCreating] = useState(false);
  const [older, setOlder] = useState<Older>({ items: [], pages: 1, hasNext: false });
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [olderError, setOlderError] = useState<unknown>(null);
  const items = unique([...(list.data?.results ?? []), ...older.items]);
  const hasNext = older.pages > 1 ? older.hasNext : Boolean(list.data?.next);
  const live = items.filter((s) => s.state === "live");
  const others = items.filter((s) => s.state !== "live");

  async function loadOlder() {
    setLoadingOlder(true);
    setOlderError(null);
    try {
      const page = await sessions.list(older.pages + 1);
      setOlder((o) => ({ items: [...o.items, ...page.results], pages: o.pages + 1, hasNext: page.next !== null }));
    } catch (err) {
      setOlderError(err);
    } finally {
      setLoadingOlder(false);
    }
  }

  return (
    <div className="app">
      <TopBar />
      <main className="main">
        <div className="page">
          <div className="row" style={{ marginBottom: 16 }}>
            <h1 className="grow" style={{ margin: 0 }}>My sessions</h1>
            {!creating ? (
              <button type="button" className="btn primary" onClick={() => setCreating(true)}>
                + New session
              </button>
            ) : null}
          </div>
          {creating ? (
            <div className="card" style={{ marginBottom: 16 }}>
              <h2>New session</h2>
              <SessionForm
                submitLabel="Create session"
                onCancel={() => setCreating(false)}
                onSubmit={async (input) => {
                  const created = await sessions.create(input);
                  navigate(`/teach/${created.id}`);
                }}
              />
            </div>
          ) : null}
          {list.loading && !list.data ? <LoadingState label="Loading your sessions…" /> : null}
          {list.error ? <ErrorState error={list.error} onRetry={list.reload} /> : null}
          {list.data && items.length === 0 && !creating ? (
            <div className="card">
              <EmptyState title="No sessions yet">
                <p>Create a session, start it, and show its join code to your class.</p>
                <button type="button" className="btn primary" onClick={() => setCreating(true)}>
                  Create your first session
                </button>
              </EmptyState>
            </div>
          ) : null}
          {live.length > 0 ? <SessionList title="Live now" items={live} /> : null}
          {others.length > 0 ? <SessionList title="Drafts and past sessions" items={others} /> : null}
          {olderError ? <ErrorState error={olderError} onRetry={() => void loadOlder()} /> : null}
          {hasNext ? (
            <div className="row" style={{ marginTop: 16 }}>
              <span className="muted grow">
                Showing {items.length} of {list.data?.count ?? items.length} sessions
              </span>
              <button type="button" className="btn" disabled={loadingOlder} onClick={() => void loadOlder()}>
                {loadingOlder ? "Loading…" : "Show older sessions"}
              </button>
            </div>
          ) : null}
        </div>
      </main>
    </div>
  );
}

/** A session created while paging shifts the pages by one: never show it twice. */
function unique(items: ClassSession[]): ClassSession[] {
  return [...new Map(items.map((s) => [s.id, s])).values()];
}

function SessionList({ title, items }: { title: string; items: ClassSession[] }) {
  return (
    <div className="card">
      <h2>{title}</h2>
      <ul className="session-list">
        {items.map((s) => (
          <li key={s.id} className="session-item">
            <div className="grow">
              <Link to={`/teach/${s.id}`} className="title">
                {s.title}
              </Link>
              <div className="muted" style={{ fontSize: "0.85rem" }}>
                {languageInfo(s.language).label} · {s.participant_count} student{s.participant_count === 1 ? "" : "s"} ·{" "}
                {s.state === "ended" ? `ended ${formatDateTime(s.ended_at)}` : s.started_at ? `started ${formatDateTime(s.started_at)}` : `created ${formatDateTime(s.created_at)}`}
              </div>
            </div>
            {s.join_code && s.state === "live" ? <code style={{ fontSize: "1.1rem", letterSpacing: "0.15em" }}>{s.join_code}</code> : null}
            <StateBadge state={s.state} />
            <Link to={`/teach/${s.id}`} className="btn small">
              Open
            </Link>
          </li>
        ))}
      </ul>
    </div>
  );
}
