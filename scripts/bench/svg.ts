/**
 * The two charts, as hand-written SVG: drain throughput per system as bars, and the pickup
 * latency distribution (CDF, log time axis) per store.
 *
 * @module
 */
import type { Metric } from "./context.ts";

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  );
}

function text(
  x: number,
  y: number,
  content: string,
  attributes: Record<string, string | number> = {},
): string {
  const attrs = Object.entries(attributes).map(([key, value]) => ` ${key}="${value}"`).join("");
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}"${attrs}>${escape(content)}</text>`;
}

/** Round tick values from 0 to at least `max` (1, 2 or 5 × 10^k apart). */
function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const ticks = [];
  for (let value = 0; value < max + step; value += step) ticks.push(value);
  return ticks;
}

const FONT = `font-family="system-ui, -apple-system, 'Segoe UI', sans-serif"`;

function svgDocument(width: number, height: number, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" ${FONT} font-size="13">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}

interface Bar {
  label: string;
  value: number | null;
  color: string;
  /** Shown instead of a bar when there is no value. */
  missing?: string;
  detail?: string;
}

function numberAt(metric: Metric | undefined, key: string): number | null {
  const value = metric?.raw[key];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** `bench/drain.svg`: jobs/s of queuectl (both stores), xargs, task-spooler, graphile-worker. */
export function drainSvg(metrics: Record<string, Metric>, subtitle: string): string {
  const sqlite = metrics.drain_sqlite;
  const pg = metrics.drain_postgres;
  const tsp = metrics.drain_sqlite_vs_tsp;
  const graphile = metrics.drain_postgres_vs_graphile;
  const xargs = [numberAt(sqlite, "xargs_jobs_per_s"), numberAt(pg, "xargs_jobs_per_s")]
    .filter((value): value is number => value !== null);
  const missing = (metric: Metric | undefined) =>
    metric === undefined
      ? "not run"
      : metric.status === "measured"
      ? "not measured"
      : `${metric.status}${metric.note ? `: ${metric.note}` : ""}`;
  const jobs = numberAt(sqlite, "jobs") ?? numberAt(pg, "jobs");
  const bars: Bar[] = [
    {
      label: "queuectl, SQLite",
      value: numberAt(sqlite, "queuectl_jobs_per_s"),
      color: "#2563eb",
      missing: missing(sqlite),
    },
    {
      label: "queuectl, PostgreSQL",
      value: numberAt(pg, "queuectl_jobs_per_s"),
      color: "#1d4ed8",
      missing: missing(pg),
    },
    {
      label: "xargs -P4 (baseline)",
      value: xargs.length ? xargs.reduce((a, b) => a + b) / xargs.length : null,
      color: "#6b7280",
      missing: "not run",
      detail: xargs.length > 1 ? "mean of both runs" : undefined,
    },
    {
      label: "xargs -P4 setsid",
      value: metrics.drain_sqlite_vs_xargs_setsid?.baseline?.value ?? null,
      color: "#9ca3af",
      missing: "not run (no setsid)",
      detail: "each job in its own session",
    },
    {
      label: "task-spooler (tsp -S 4)",
      value: numberAt(tsp, "tsp_jobs_per_s"),
      color: "#d97706",
      missing: missing(tsp),
      detail: numberAt(tsp, "tsp_jobs") !== jobs && numberAt(tsp, "tsp_jobs") !== null
        ? `${numberAt(tsp, "tsp_jobs")} jobs`
        : undefined,
    },
    {
      label: "graphile-worker (4)",
      value: numberAt(graphile, "graphile_jobs_per_s"),
      color: "#b45309",
      missing: missing(graphile),
    },
  ];
  const width = 860;
  const left = 190;
  const plotWidth = 460;
  const top = 70;
  const barHeight = 26;
  const gap = 14;
  const plotHeight = bars.length * (barHeight + gap) - gap;
  const height = top + plotHeight + 70;
  const max = Math.max(1, ...bars.map((bar) => bar.value ?? 0));
  const ticks = niceTicks(max);
  const scale = plotWidth / ticks[ticks.length - 1];
  const body: string[] = [
    text(20, 28, `Drain throughput: ${jobs ?? "?"} queued \`sh -c true\` jobs, 4 at a time`, {
      "font-size": 16,
      "font-weight": "bold",
    }),
    text(20, 48, subtitle, { fill: "#4b5563", "font-size": 12 }),
  ];
  for (const tick of ticks) {
    const x = left + tick * scale;
    body.push(
      `<line x1="${x.toFixed(1)}" y1="${top - 6}" x2="${x.toFixed(1)}" y2="${
        top + plotHeight + 4
      }" stroke="#e5e7eb"/>`,
      text(x, top + plotHeight + 20, String(tick), { "text-anchor": "middle", fill: "#374151" }),
    );
  }
  bars.forEach((bar, index) => {
    const y = top + index * (barHeight + gap);
    body.push(
      text(left - 10, y + barHeight / 2 + 4, bar.label, { "text-anchor": "end", fill: "#111827" }),
    );
    if (bar.value === null) {
      body.push(
        text(left + 6, y + barHeight / 2 + 4, bar.missing ?? "unavailable", {
          fill: "#9ca3af",
          "font-style": "italic",
        }),
      );
      return;
    }
    const w = Math.max(1, bar.value * scale);
    body.push(
      `<rect x="${left}" y="${y}" width="${
        w.toFixed(1)
      }" height="${barHeight}" fill="${bar.color}" rx="2"/>`,
      text(
        left + w + 6,
        y + barHeight / 2 + 4,
        `${Math.round(bar.value)} jobs/s${bar.detail ? ` (${bar.detail})` : ""}`,
        { fill: "#111827" },
      ),
    );
  });
  body.push(
    `<line x1="${left}" y1="${top - 6}" x2="${left}" y2="${
      top + plotHeight + 4
    }" stroke="#374151"/>`,
    text(left + plotWidth / 2, top + plotHeight + 44, "jobs per second (higher is better)", {
      "text-anchor": "middle",
      fill: "#374151",
    }),
  );
  return svgDocument(width, height, body);
}

/** `bench/latency.svg`: the CDF of pickup latency per store, on a log time axis. */
export function latencySvg(metrics: Record<string, Metric>, subtitle: string): string {
  const series = [
    { key: "pickup_latency_sqlite_p50", label: "SQLite", color: "#2563eb" },
    { key: "pickup_latency_postgres_p50", label: "PostgreSQL", color: "#d97706" },
  ].map((entry) => {
    const raw = metrics[entry.key]?.raw ?? {};
    const values = Array.isArray(raw.latencies_ms) ? (raw.latencies_ms as number[]) : [];
    return {
      ...entry,
      values: [...values].sort((a, b) => a - b),
      p50: raw.p50_ms as number | undefined,
      p99: raw.p99_ms as number | undefined,
      status: metrics[entry.key]?.status,
    };
  });
  const width = 760;
  const height = 480;
  const left = 70;
  const right = 30;
  const top = 96;
  const bottom = 110;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const all = series.flatMap((s) => s.values);
  const minMs = 0.5;
  const decades = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];
  const maxMs = decades.find((tick) => tick >= Math.max(50, ...all)) ?? 10000;
  const x = (ms: number) =>
    left +
    (Math.log10(Math.max(minMs, Math.min(maxMs, ms))) - Math.log10(minMs)) /
      (Math.log10(maxMs) - Math.log10(minMs)) * plotWidth;
  const y = (fraction: number) => top + (1 - fraction) * plotHeight;
  const body: string[] = [
    text(20, 28, "Pickup latency: enqueue commit → command start, idle worker", {
      "font-size": 16,
      "font-weight": "bold",
    }),
    text(20, 48, subtitle, { fill: "#4b5563", "font-size": 12 }),
  ];
  for (const tick of decades.filter((tick) => tick <= maxMs)) {
    body.push(
      `<line x1="${x(tick).toFixed(1)}" y1="${top}" x2="${x(tick).toFixed(1)}" y2="${
        top + plotHeight
      }" stroke="#e5e7eb"/>`,
      text(x(tick), top + plotHeight + 18, String(tick), {
        "text-anchor": "middle",
        fill: "#374151",
      }),
    );
  }
  for (const fraction of [0, 0.25, 0.5, 0.75, 0.9, 0.99]) {
    body.push(
      `<line x1="${left}" y1="${y(fraction).toFixed(1)}" x2="${left + plotWidth}" y2="${
        y(fraction).toFixed(1)
      }" stroke="#e5e7eb"/>`,
      text(left - 8, y(fraction) + 4, `${Math.round(fraction * 100)}%`, {
        "text-anchor": "end",
        fill: "#374151",
        "font-size": 11,
      }),
    );
  }
  // SQLite's p50 target is relative (3 ms on top of a bare spawn): the table says it.
  const targets = [
    [10, "PostgreSQL p50 target 10 ms"],
    [20, "SQLite p99 target 20 ms"],
    [30, "PostgreSQL p99 target 30 ms"],
  ] as const;
  targets.forEach(([ms, label], index) => {
    if (ms > maxMs) return;
    body.push(
      `<line x1="${x(ms).toFixed(1)}" y1="${top}" x2="${x(ms).toFixed(1)}" y2="${
        top + plotHeight
      }" stroke="#dc2626" stroke-dasharray="5,4"/>`,
      // Stacked: the three lines stand close on a log axis.
      text(x(ms), top - 6 - 12 * (targets.length - 1 - index), label, {
        fill: "#dc2626",
        "font-size": 11,
        "text-anchor": "middle",
      }),
    );
  });
  series.forEach((s, index) => {
    const legendY = top + plotHeight + 64 + index * 20;
    const legendX = left;
    const summary = s.values.length
      ? `${s.label}: p50 ${s.p50} ms, p99 ${s.p99} ms (${s.values.length} jobs)`
      : `${s.label}: ${s.status ?? "not run"}`;
    body.push(
      `<line x1="${legendX}" y1="${legendY - 4}" x2="${legendX + 24}" y2="${
        legendY - 4
      }" stroke="${s.color}" stroke-width="3"/>`,
      text(legendX + 30, legendY, summary, { fill: "#111827" }),
    );
    if (s.values.length === 0) return;
    const points: string[] = [`${x(s.values[0]).toFixed(1)},${y(0).toFixed(1)}`];
    s.values.forEach((value, i) => {
      const px = x(value).toFixed(1);
      points.push(`${px},${y(i / s.values.length).toFixed(1)}`);
      points.push(`${px},${y((i + 1) / s.values.length).toFixed(1)}`);
    });
    body.push(
      `<polyline points="${points.join(" ")}" fill="none" stroke="${s.color}" stroke-width="2"/>`,
    );
  });
  body.push(
    `<rect x="${left}" y="${top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#374151"/>`,
    text(left + plotWidth / 2, top + plotHeight + 38, "milliseconds (log scale)", {
      "text-anchor": "middle",
      fill: "#374151",
    }),
    `<text transform="translate(18 ${
      top + plotHeight / 2
    }) rotate(-90)" text-anchor="middle" fill="#374151">jobs started within</text>`,
  );
  return svgDocument(width, height, body);
}
