/**
 * What the run prints and records: the machine, and the results table.
 *
 * @module
 */
import type { Metric } from "./context.ts";

async function readOr(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return "";
  }
}

async function nodeVersion(): Promise<string | null> {
  try {
    const output = await new Deno.Command("node", { args: ["--version"], stderr: "null" })
      .output();
    return output.success ? new TextDecoder().decode(output.stdout).trim() : null;
  } catch {
    return null;
  }
}

/** The code measured: the commit, and whether src/ or main.ts differ from it. */
export async function revision(): Promise<Record<string, unknown>> {
  const git = async (...args: string[]) => {
    try {
      const output = await new Deno.Command("git", {
        args,
        cwd: new URL("../../", import.meta.url),
        stderr: "null",
      }).output();
      return output.success ? new TextDecoder().decode(output.stdout).trim() : null;
    } catch {
      return null;
    }
  };
  const changed = await git("status", "--porcelain", "--", "src", "main.ts");
  return {
    commit: await git("rev-parse", "HEAD"),
    subject: await git("log", "-1", "--format=%s"),
    src_changed: changed === null ? null : changed.length > 0,
  };
}

/** The machine the numbers were taken on. */
export async function machineInfo(postgres: string | null): Promise<Record<string, unknown>> {
  const cpuinfo = await readOr("/proc/cpuinfo");
  const meminfo = await readOr("/proc/meminfo");
  const memKb = Number(meminfo.match(/^MemTotal:\s+(\d+)/m)?.[1] ?? NaN);
  return {
    os: Deno.build.os,
    arch: Deno.build.arch,
    kernel: Deno.osRelease(),
    hostname: Deno.hostname(),
    cores: navigator.hardwareConcurrency,
    cpu: cpuinfo.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? null,
    memory_gib: Number.isFinite(memKb) ? Math.round(memKb / 1024 / 1024 * 10) / 10 : null,
    load_average_at_start: Deno.build.os === "windows" ? null : Deno.loadavg(),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    node: await nodeVersion(),
    postgres,
  };
}

/** A number with as many digits as it deserves. */
export function formatNumber(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 10_000) return Math.round(value).toLocaleString("en-US");
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function cell(value: number | null | undefined, unit = ""): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "-";
  return unit ? `${formatNumber(value)} ${unit}` : formatNumber(value);
}

function metCell(metric: Metric): string {
  if (metric.status !== "measured") return metric.status;
  if (metric.met === null) return "-";
  return metric.met ? "yes" : "MISSED";
}

/** The results as an aligned text table, followed by the rows' notes. */
export function formatTable(metrics: Record<string, Metric>): string {
  const header = ["metric", "result", "baseline", "ratio", "target", "met"];
  const rows = Object.values(metrics).map((metric) => [
    metric.title,
    cell(metric.value, metric.unit),
    metric.baseline
      ? `${metric.baseline.name}: ${cell(metric.baseline.value, metric.baseline.unit)}`
      : "-",
    metric.ratio === undefined || metric.ratio === null ? "-" : `${cell(metric.ratio)}×`,
    metric.target,
    metCell(metric),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length))
  );
  const line = (row: string[]) =>
    row.map((value, column) => value.padEnd(widths[column])).join(" │ ");
  const lines = [
    line(header),
    widths.map((width) => "─".repeat(width)).join("─┼─"),
    ...rows.map(line),
  ];
  const notes = Object.values(metrics).filter((metric) => metric.note);
  if (notes.length) {
    lines.push("", "notes:");
    for (const metric of notes) lines.push(`  ${metric.title}: ${metric.note}`);
  }
  return lines.join("\n");
}

/** The results as a Markdown table (for the README), with the notes as a list after it. */
export function formatMarkdown(metrics: Record<string, Metric>): string {
  const escape = (text: string) => text.replaceAll("|", "\\|");
  const lines = [
    "| metric | result | baseline (same run) | ratio | target | met |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const metric of Object.values(metrics)) {
    const baseline = metric.baseline
      ? `${metric.baseline.name}: ${cell(metric.baseline.value, metric.baseline.unit)}`
      : "-";
    const ratio = metric.ratio === undefined || metric.ratio === null
      ? "-"
      : `${cell(metric.ratio)}×`;
    const row = [
      metric.title,
      cell(metric.value, metric.unit),
      baseline,
      ratio,
      metric.target,
      metCell(metric),
    ];
    lines.push(`| ${row.map(escape).join(" | ")} |`);
  }
  return lines.join("\n");
}
