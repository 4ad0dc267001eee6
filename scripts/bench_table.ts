/**
 * `deno task bench:table`: prints the last run's results (bench/results.json) as the Markdown
 * table the README shows, headed by the date and the machine.
 *
 * @module
 */
import { formatMarkdown } from "./bench/report.ts";

const results = JSON.parse(
  await Deno.readTextFile(new URL("../bench/results.json", import.meta.url)),
);
const { machine } = results;
console.log(
  `Measured ${results.date.slice(0, 10)} on ${machine.cores} cores (${machine.cpu}), ` +
    `${machine.memory_gib} GiB, Linux ${machine.kernel}, Deno ${machine.deno}, ` +
    `PostgreSQL ${String(machine.postgres).split(" ")[0]}; load average at start ${
      machine.load_average_at_start?.map((load: number) => load.toFixed(1)).join(", ")
    }${results.quick ? "; quick run" : ""}.\n`,
);
console.log(formatMarkdown(results.metrics));
