import assert from "node:assert/strict";
import { parseArgs as nodeParseArgs } from "node:util";
import { parseArgs, type ParseOption } from "./parse_args.ts";

const OPTIONS: Record<string, ParseOption> = {
  db: { type: "string" },
  queue: { type: "string", short: "Q" },
  file: { type: "string", short: "f" },
  env: { type: "string", short: "e", multiple: true },
  verbose: { type: "boolean", short: "v" },
  quiet: { type: "boolean", short: "q" },
  all: { type: "boolean", multiple: true },
  help: { type: "boolean", short: "h" },
};

/** Command lines, each with what it tries. */
const LINES: [args: string[], intent: string][] = [
  [[], "nothing"],
  [["enqueue", "--", "sleep", "1"], "words, then a command after --"],
  [["--db", "q.db", "enqueue"], "a string option takes the next argument"],
  [["--db=q.db", "--queue=", "x"], "inline values, an empty one too"],
  [["-f", "jobs.jsonl", "-Qdeploy"], "short options, with the value attached"],
  [["-vq", "-vf", "x", "-vfx"], "groups of short flags, the last taking a value"],
  [["-e", "A=1", "--env", "B=2", "--env=C=3"], "a repeated option collects its values"],
  [["--all", "--all"], "a repeated boolean"],
  [["--verbose=yes"], "a boolean with a value"],
  [["--queue"], "a string option without its value"],
  [["--queue", "-x"], "a value that looks like an option"],
  [["-Q", "--x"], "a short option's value that looks like an option"],
  [["--nope", "x"], "an unknown option"],
  [["-z"], "an unknown short option"],
  [["-vz"], "an unknown short option in a group"],
  [["-"], "a lone dash is a positional"],
  [["--", "--db", "x"], "after --, everything is positional"],
  [["--__proto__", "--constructor", "--toString"], "names of Object's prototype"],
  [["--db", "a", "--db", "b"], "the last value wins"],
  [["x", "--help", "y"], "options between positionals"],
];

Deno.test("parseArgs() parses as node:util's parseArgs does, strict or not", () => {
  for (const [args, intent] of LINES) {
    for (const strict of [true, false]) {
      const run = (parse: typeof parseArgs) => {
        try {
          const { values, positionals, tokens } = parse({ args, options: OPTIONS, strict });
          return { values: { ...values }, positionals, tokens };
        } catch (error) {
          const { code, message } = error as { code: string; message: string };
          return { code, message };
        }
      };
      const node = (config: Parameters<typeof parseArgs>[0]) =>
        nodeParseArgs({ ...config, allowPositionals: true, tokens: true }) as ReturnType<
          typeof parseArgs
        >;
      assert.deepEqual(run(parseArgs), run(node), `${intent} (strict: ${strict})`);
    }
  }
});
