import assert from "node:assert/strict";
import type { Metric } from "../../scripts/bench/context.ts";
import {
  checkGates,
  EXEC_DEAR_CPU_MS,
  formatGates,
  type GateLimit,
  GATES,
  machineKindOf,
} from "../../scripts/bench/gates.ts";

function measured(ratio: number | null, raw: Record<string, unknown> = {}): Metric {
  return {
    title: "t",
    value: 1,
    unit: "",
    ratio,
    target: "-",
    met: null,
    status: "measured",
    raw,
  };
}

/** Every gate's metric at `ratioOf(limit)`, the drains' xargs costing `xargsCpuMs` per job. */
function metricsAt(
  xargsCpuMs: number,
  limitOf: (gate: (typeof GATES)[number]) => number,
  ratioOf: (limit: number, kind: "min" | "max") => number,
): Record<string, Metric> {
  return Object.fromEntries(GATES.map((gate) => [
    gate.metric,
    measured(ratioOf(limitOf(gate), gate.kind), { xargs_cpu_ms_per_job: xargsCpuMs }),
  ]));
}

const all = GATES.map((gate) => gate.bench);
const past = (limit: number, kind: "min" | "max") => kind === "min" ? limit / 2 : limit * 2;
const at = (limit: number) => limit;

Deno.test("checkGates() fails a ratio past its limit, in either direction, and passes the rest", () => {
  const cheap = EXEC_DEAR_CPU_MS / 2;
  assert.ok(checkGates(metricsAt(cheap, (g) => g.limit, past), all).every((r) => !r.passed));
  const passing = checkGates(metricsAt(cheap, (g) => g.limit, at), all);
  assert.ok(passing.every((result) => result.passed));
  assert.match(formatGates(passing), /^ok /);
});

Deno.test("checkGates() holds the drain and pickup ratios to their tighter limits where an exec is dear", () => {
  const dear = EXEC_DEAR_CPU_MS * 1.5;
  const tighter = (g: (typeof GATES)[number]) => g.execDear?.limit ?? g.limit;
  assert.ok(GATES.filter((gate) => gate.execDear).length >= 4, "drains and pickups have one");
  assert.ok(checkGates(metricsAt(dear, tighter, at), all).every((result) => result.passed));
  assert.ok(checkGates(metricsAt(dear, tighter, past), all).every((result) => !result.passed));
  // A ratio that passes the exec-cheap limit but not the exec-dear one fails on an exec-dear run.
  const looseOnly = checkGates(metricsAt(dear, (g) => g.limit, at), all);
  for (const result of looseOnly) {
    assert.equal(result.passed, result.gate.execDear === undefined, result.gate.metric);
    if (result.gate.execDear) assert.equal(result.machine, "exec-dear");
  }
  assert.match(formatGates(looseOnly), /FAILED SQLite drain .*exec-dear\)/);
});

Deno.test("machineKindOf() reads the xargs drain's CPU per job; unknown without a drain", () => {
  const drain = (cpuMs: unknown) => ({
    drain_sqlite: measured(1, { xargs_cpu_ms_per_job: cpuMs }),
  });
  assert.equal(machineKindOf(drain(5.2)), "exec-dear");
  assert.equal(machineKindOf(drain(1.6)), "exec-cheap");
  assert.equal(machineKindOf(drain(null)), undefined);
  assert.equal(
    machineKindOf({ drain_postgres: measured(1, { xargs_cpu_ms_per_job: 6 }) }),
    "exec-dear",
  );
  assert.equal(machineKindOf({}), undefined);
  const results = checkGates({ pickup_latency_sqlite_p50: measured(1) }, ["pickup_latency"]);
  assert.equal(results[0].machine, "unknown");
  assert.equal(results[0].limit, GATES.find((g) => g.bench === "pickup_latency")?.limit);
});

Deno.test("checkGates() fails a gate whose metric was not measured, and skips unselected ones", () => {
  const results = checkGates({ drain_sqlite: measured(null) }, ["drain", "pickup_latency"]);
  assert.deepEqual(results.map((result) => [result.gate.metric, result.passed]), [
    ["drain_sqlite", false],
    ["pickup_latency_sqlite_p50", false],
  ]);
  assert.match(formatGates(results), /FAILED .*not measured/);
});

Deno.test("every limit sits at about half the worst of its five or more recorded runs", () => {
  for (const gate of GATES) {
    const limits: [string, GateLimit][] = [["", gate]];
    if (gate.execDear) limits.push([" (exec-dear)", gate.execDear]);
    for (const [which, { limit, setFrom: { runs } }] of limits) {
      assert.ok(runs.length >= 5, `${gate.metric}${which}: set from ${runs.length} runs`);
      // A floor near half the lowest run (a ceiling near twice the highest), or nearer by the
      // gate's margin: never above it.
      const margin = gate.margin ?? 2;
      const bound = gate.kind === "min" ? Math.min(...runs) / margin : Math.max(...runs) * margin;
      const slack = gate.kind === "min" ? limit / bound : bound / limit;
      assert.ok(
        slack >= 0.9 && slack <= 1.1,
        `${gate.metric}${which}: limit ${limit}, runs ${runs}`,
      );
    }
  }
});
