import assert from "node:assert/strict";
import type { Metric } from "../../scripts/bench/context.ts";
import { checkGates, formatGates, GATES } from "../../scripts/bench/gates.ts";

function measured(ratio: number | null): Metric {
  return {
    title: "t",
    value: 1,
    unit: "",
    ratio,
    target: "-",
    met: null,
    status: "measured",
    raw: {},
  };
}

Deno.test("checkGates() fails a ratio past its limit, in either direction, and passes the rest", () => {
  const metrics = Object.fromEntries(
    GATES.map((
      gate,
    ) => [gate.metric, measured(gate.kind === "min" ? gate.limit / 2 : gate.limit * 2)]),
  );
  const all = GATES.map((gate) => gate.bench);
  assert.ok(checkGates(metrics, all).every((result) => !result.passed));
  for (const gate of GATES) metrics[gate.metric] = measured(gate.limit);
  assert.ok(checkGates(metrics, all).every((result) => result.passed));
  assert.match(formatGates(checkGates(metrics, all)), /^ok /);
});

Deno.test("checkGates() fails a gate whose metric was not measured, and skips unselected ones", () => {
  const results = checkGates({ drain_sqlite: measured(null) }, ["drain", "pickup_latency"]);
  assert.deepEqual(results.map((result) => [result.gate.metric, result.passed]), [
    ["drain_sqlite", false],
    ["pickup_latency_sqlite_p50", false],
  ]);
  assert.match(formatGates(results), /FAILED .*not measured/);
});

Deno.test("every gate sits at about half the worst of its five or more recorded runs", () => {
  for (const gate of GATES) {
    const runs = gate.setFrom.runs;
    assert.ok(runs.length >= 5, `${gate.metric}: set from ${runs.length} runs`);
    // A floor near half the lowest run (a ceiling near twice the highest): never above it.
    const bound = gate.kind === "min" ? Math.min(...runs) / 2 : Math.max(...runs) * 2;
    const slack = gate.kind === "min" ? gate.limit / bound : bound / gate.limit;
    assert.ok(slack >= 0.9 && slack <= 1.1, `${gate.metric}: limit ${gate.limit}, runs ${runs}`);
  }
});
