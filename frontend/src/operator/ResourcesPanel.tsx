import { ErrorState, LoadingState } from "../components/States";
import { formatBytes, formatPercent, HEALTH_COLORS } from "./format";
import type { HealthStatus, Resources, SystemHeadline } from "./types";

function Meter({ label, percent, status, detail }: { label: string; percent: number; status: HealthStatus; detail: string }) {
  return (
    <div className="op-meter" data-testid={`resource-${label.toLowerCase().split(" ")[0]}`}>
      <div className="row">
        <span>{label}</span>
        <span className="grow" />
        <strong style={{ color: HEALTH_COLORS[status] }}>{formatPercent(percent)}</strong>
      </div>
      <div className="op-meter-track" role="meter" aria-label={label} aria-valuenow={Math.round(percent)} aria-valuemin={0} aria-valuemax={100}>
        <span style={{ width: `${Math.min(100, percent)}%`, background: HEALTH_COLORS[status] }} />
      </div>
      <div className="muted op-small">{detail}</div>
    </div>
  );
}

function statusOf(percent: number, resources: Resources): HealthStatus {
  const { degraded_percent, unhealthy_percent } = resources.thresholds;
  return percent > unhealthy_percent ? "unhealthy" : percent > degraded_percent ? "degraded" : "healthy";
}

interface Props {
  resources: Resources | undefined;
  /** Fresher CPU and memory readings from the live figures. */
  live: SystemHeadline | undefined;
  error: unknown;
  onReload: () => void;
}

/** CPU, memory, disks and this server process (psutil, on the machine that answered). */
export function ResourcesPanel({ resources, live, error, onReload }: Props) {
  if (error) return <ErrorState error={error} onRetry={onReload} />;
  if (!resources) return <LoadingState />;
  const cpu = live?.cpu_percent ?? resources.cpu.percent;
  const memory = live?.memory_percent ?? resources.memory.percent;
  return (
    <div className="op-resources">
      <Meter label="CPU" percent={cpu} status={statusOf(cpu, resources)}
        detail={`${resources.cpu.count} cores · load ${resources.cpu.load_average.join(" / ")}`} />
      <Meter label="Memory" percent={memory} status={statusOf(memory, resources)}
        detail={`${formatBytes(resources.memory.available)} free of ${formatBytes(resources.memory.total)}`} />
      {resources.disks.map((disk) => (
        <Meter key={disk.path} label={`Disk ${disk.path}`} percent={disk.percent} status={disk.status}
          detail={`${formatBytes(disk.free)} free of ${formatBytes(disk.total)}`} />
      ))}
      <p className="muted op-small">
        Server process {resources.process.pid}: {formatBytes(resources.process.rss)} memory, {resources.process.threads} threads,
        up {Math.round(resources.process.uptime_seconds / 60)} min. Degraded above {resources.thresholds.degraded_percent}%,
        unhealthy above {resources.thresholds.unhealthy_percent}%.
      </p>
    </div>
  );
}
