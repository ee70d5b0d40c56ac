import type { ChangeEvent, ReactNode } from "react";
import { LANGUAGES, sinceFor, STATUS_ORDER } from "./format";
import type { ExecutionFilters, Period } from "./types";

/** Whose runs the table shows: a registered user (all their sessions) or one guest seat. */
export interface Person {
  kind: "user" | "participant";
  id: string;
  label: string;
}

export interface FilterState {
  language: string;
  status: string;
  session: string;
  person: Person | null;
  /** A preset period, "custom" (from/to below) or "" (any time). */
  period: Period | "custom" | "";
  /** `datetime-local` values, in the browser's time zone. */
  from: string;
  to: string;
}

export const NO_FILTERS: FilterState = { language: "", status: "", session: "", person: null, period: "", from: "", to: "" };

function isoOf(local: string): string | undefined {
  if (!local) return undefined;
  const time = new Date(local).getTime();
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/** The query for the API, or a message saying why the filters cannot be sent as they are. */
export function queryFor(state: FilterState, now = Date.now()): { filters: ExecutionFilters } | { problem: string } {
  let since: string | undefined;
  let until: string | undefined;
  if (state.period === "custom") {
    since = isoOf(state.from);
    until = isoOf(state.to);
    if (since && until && since >= until) return { problem: "“To” must be after “From”." };
  } else if (state.period) {
    since = sinceFor(state.period, now);
  }
  return {
    filters: {
      language: state.language || undefined,
      status: state.status || undefined,
      session: state.session || undefined,
      user: state.person?.kind === "user" ? state.person.id : undefined,
      participant: state.person?.kind === "participant" ? state.person.id : undefined,
      since,
      until,
    },
  };
}

const PERIODS: [string, string][] = [
  ["hour", "last hour"],
  ["day", "last day"],
  ["week", "last week"],
  ["custom", "from … to …"],
];

/** A labelled select whose first option, "", means no filter. */
function Choice(props: {
  label: string;
  value: string;
  onChange: (event: ChangeEvent<HTMLSelectElement>) => void;
  choices: [value: string, text: string][];
  any?: string;
}) {
  return (
    <label>
      {props.label}{" "}
      <select value={props.value} onChange={props.onChange} aria-label={props.label}>
        <option value="">{props.any ?? "all"}</option>
        {props.choices.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

interface Props {
  state: FilterState;
  onChange: (next: FilterState) => void;
  sessions: { session_id: string; title: string }[];
  /** Shown at the end of the bar (the number of matching runs). */
  children?: ReactNode;
}

/** Language, status, session, person (set from the table) and a preset or custom time range. */
export function ExecutionFilterBar({ state, onChange, sessions, children }: Props) {
  const set = (key: keyof FilterState) => (event: ChangeEvent<HTMLSelectElement | HTMLInputElement>) =>
    onChange({ ...state, [key]: event.target.value });
  return (
    <div className="row wrap op-filters" role="group" aria-label="Filters">
      <Choice label="Language" value={state.language} onChange={set("language")} choices={LANGUAGES.map((n) => [n, n])} />
      <Choice label="Status" value={state.status} onChange={set("status")} choices={STATUS_ORDER.map((n) => [n, n])} />
      <Choice label="Session" value={state.session} onChange={set("session")} choices={sessions.map((x) => [x.session_id, x.title])} />
      <Choice label="Period" value={state.period} onChange={set("period")} any="any time" choices={PERIODS} />
      {state.period === "custom" ? (
        <>
          <label>
            From <input type="datetime-local" value={state.from} onChange={set("from")} aria-label="From" />
          </label>
          <label>
            To <input type="datetime-local" value={state.to} onChange={set("to")} aria-label="To" />
          </label>
        </>
      ) : null}
      {state.person ? (
        <span className="op-chip" data-testid="person-filter">
          Who: <strong>{state.person.label}</strong>
          <button type="button" className="link-btn" aria-label="Show everyone's runs" onClick={() => onChange({ ...state, person: null })}>
            ✕
          </button>
        </span>
      ) : (
        <span className="muted op-small">Click a name to see only that person's runs.</span>
      )}
      <span className="grow" />
      {children}
    </div>
  );
}
