import assert from "node:assert/strict";
import { queuectlProgram } from "./install.ts";
import {
  environmentFileLine,
  quoteEnvironment,
  quoteExecArgument,
  stopTimeoutFromConfig,
  workerUnit,
  type WorkerUnitSpec,
} from "./systemd_unit.ts";

const SPEC: WorkerUnitSpec = {
  scope: "user",
  program: ["/usr/local/bin/queuectl"],
  count: 4,
  database: { value: "/home/me/.local/share/queuectl/queue.db" },
  stopTimeout: { value: 335, reason: "Drain time: test." },
};

Deno.test("workerUnit() runs worker start with the count and queues, and drains on stop", () => {
  const unit = workerUnit({ ...SPEC, queues: ["deploy", "build"] });
  const lines = unit.split("\n");
  for (
    const expected of [
      "ExecStart=/usr/local/bin/queuectl worker start --count 4 --queue deploy,build",
      'Environment="QUEUECTL_DB=/home/me/.local/share/queuectl/queue.db"',
      "KillMode=mixed",
      "KillSignal=SIGTERM",
      "# Drain time: test.",
      "TimeoutStopSec=335",
      "Restart=on-failure",
      "WantedBy=default.target",
    ]
  ) {
    assert.ok(lines.includes(expected), `${expected} in:\n${unit}`);
  }
  assert.ok(!unit.includes("User="), "a user unit runs as its user");
  assert.ok(!unit.includes("network-online"), "a user manager has no network-online.target");
});

Deno.test("workerUnit() of a system unit: multi-user.target, User=, after the network", () => {
  const unit = workerUnit({
    ...SPEC,
    scope: "system",
    runAs: "deploy",
    afterNetwork: true,
    database: { environmentFile: "/etc/queuectl/queuectl.env" },
  });
  for (
    const expected of [
      "WantedBy=multi-user.target",
      "User=deploy",
      "After=network-online.target",
      "Wants=network-online.target",
      "EnvironmentFile=/etc/queuectl/queuectl.env",
    ]
  ) {
    assert.ok(unit.split("\n").includes(expected), `${expected} in:\n${unit}`);
  }
  assert.ok(!unit.includes("QUEUECTL_DB"), "the database is in the environment file only");
});

Deno.test("quoteExecArgument() leaves plain words bare and quotes the rest as systemd reads it", () => {
  const cases: [string, string, string][] = [
    ["a plain path", "/usr/bin/queuectl", "/usr/bin/queuectl"],
    ["a space", "/opt/my apps/queuectl", '"/opt/my apps/queuectl"'],
    ["a specifier", "50%", "50%%"],
    ["a variable", "$HOME", '"$$HOME"'],
    ["quotes and backslashes", 'a"b\\c', '"a\\"b\\\\c"'],
    ["a lone semicolon, which separates commands", ";", '";"'],
  ];
  for (const [intent, word, quoted] of cases) assert.equal(quoteExecArgument(word), quoted, intent);
});

Deno.test("quoteEnvironment() quotes the whole assignment and escapes % but not $", () => {
  assert.equal(quoteEnvironment("QUEUECTL_DB", "/a b/100%.db"), '"QUEUECTL_DB=/a b/100%%.db"');
  assert.equal(quoteEnvironment("X", 'say "$hi"'), '"X=say \\"$hi\\""');
});

Deno.test("environmentFileLine() escapes what double quotes in an environment file expand", () => {
  assert.equal(
    environmentFileLine("QUEUECTL_DB", 'postgres://u:p$w"`\\@h/db'),
    'QUEUECTL_DB="postgres://u:p\\$w\\"\\`\\\\@h/db"\n',
  );
});

Deno.test("a control character cannot be written into a unit", () => {
  assert.throws(() => quoteExecArgument("a\nb"), /control character/);
  assert.throws(() => workerUnit({ ...SPEC, database: { value: "/tmp/a\nb.db" } }));
});

Deno.test("stopTimeoutFromConfig() covers the longest run, its kill grace and recording it", () => {
  assert.equal(stopTimeoutFromConfig({ jobTimeout: 600, killGrace: 5 }).value, 635);
  assert.equal(stopTimeoutFromConfig({ jobTimeout: 0.5, killGrace: 0 }).value, 31);
  // No time limit on jobs: a stop (and a shutdown) must not wait forever.
  assert.equal(stopTimeoutFromConfig({ jobTimeout: 0, killGrace: 5 }).value, 300);
});

Deno.test("queuectlProgram() is the binary when compiled, deno run -A main.ts from a checkout", () => {
  assert.deepEqual(queuectlProgram("/usr/local/bin/queuectl", "file:///ignored.ts"), [
    "/usr/local/bin/queuectl",
  ]);
  assert.deepEqual(queuectlProgram("/home/me/.deno/bin/deno", "file:///src/my%20app/main.ts"), [
    "/home/me/.deno/bin/deno",
    "run",
    "-A",
    "/src/my app/main.ts",
  ]);
});
