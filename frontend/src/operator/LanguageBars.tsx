import { EmptyState } from "../components/States";
import { formatMs } from "./format";
import type { Statistics } from "./types";

/** Runs per language: successes and failures side by side, scaled to the busiest language. */
export function LanguageBars({ stats }: { stats: Statistics }) {
  const rows = stats.by_language;
  if (!rows.length) return <EmptyState title="No runs in this period" />;
  const busiest = Math.max(...rows.map((row) => row.total), 1);
  return (
    <table className="op-bars">
      <tbody>
        {rows.map((row) => {
          const other = row.total - row.ok - row.failed;
          return (
            <tr key={row.language} data-testid={`language-${row.language}`}>
              <th scope="row">{row.language}</th>
              <td className="op-bar-cell">
                <div className="op-bar" title={`${row.ok} ok, ${row.failed} failed${other ? `, ${other} unfinished` : ""}`}>
                  <span className="op-bar-ok" style={{ width: `${(row.ok / busiest) * 100}%` }} />
                  <span className="op-bar-failed" style={{ width: `${(row.failed / busiest) * 100}%` }} />
                  <span className="op-bar-other" style={{ width: `${(other / busiest) * 100}%` }} />
                </div>
              </td>
              <td className="op-num">
                <span className="op-ok">{row.ok} ok</span> · <span className="op-failed">{row.failed} failed</span>
              </td>
              <td className="op-num muted">avg {formatMs(row.avg_wall_ms)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
