import { useEffect, useState } from "react";
import { github, type ArchiveJob } from "./api";

const POLL_MS = 1500;

/** Follows a job until it is done or failed (polling: the job runs on the server, in the background). */
export function useJob(initial: ArchiveJob | null): ArchiveJob | null {
  const [job, setJob] = useState<ArchiveJob | null>(initial);
  useEffect(() => setJob(initial), [initial]);
  const id = job?.id;
  const active = job ? job.state === "queued" || job.state === "running" : false;
  useEffect(() => {
    if (!id || !active) return undefined;
    const controller = new AbortController();
    const timer = window.setInterval(() => {
      github
        .job(id, controller.signal)
        .then(setJob)
        .catch(() => undefined); // a missed poll is retried by the next one
    }, POLL_MS);
    return () => {
      controller.abort();
      window.clearInterval(timer);
    };
  }, [id, active]);
  return job;
}

/** A job's state, said plainly: files done of total while it runs, the outcome after. */
export function JobProgress({ job }: { job: ArchiveJob }) {
  const running = job.state === "queued" || job.state === "running";
  return (
    <div className={`github-job github-job-${job.state}`} data-testid="github-job">
      {running ? (
        <div role="status">
          <label htmlFor={`job-${job.id}`}>
            {job.state === "queued" ? "Waiting to start…" : job.message || "Archiving…"}{" "}
            {job.files_total ? `${job.files_done} of ${job.files_total} files` : null}
          </label>
          <progress id={`job-${job.id}`} max={job.files_total || 1} value={job.files_done} />
        </div>
      ) : job.state === "done" ? (
        <p role="status" className="github-job-done">
          ✓ {job.message}{" "}
          {job.repo_url ? (
            <a href={job.repo_url} target="_blank" rel="noreferrer">
              Open {job.repository} on GitHub
            </a>
          ) : null}
        </p>
      ) : (
        <div className="error-message" role="alert">
          <span className="error-text">Archiving to {job.repository} failed: {job.message}</span>
        </div>
      )}
    </div>
  );
}
