import assert from "node:assert/strict";
import { locationHasSecret, maskLocation, maskSecrets } from "./secrets.ts";

Deno.test("maskLocation() hides every password a location may hold, however it is written", () => {
  const cases: [string, string, string][] = [
    ["a file path is shown as it is", "/srv/queue/queue.db", "/srv/queue/queue.db"],
    [
      "a URL without a password is shown as it is",
      "postgres://app@db:5432/jobs?schema=ci&sslmode=require",
      "postgres://app@db:5432/jobs?schema=ci&sslmode=require",
    ],
    ["a password, the user kept", "postgres://app:hunter2@db/jobs", "postgres://app:***@db/jobs"],
    ["postgresql:// too", "postgresql://app:hunter2@db/jobs", "postgresql://app:***@db/jobs"],
    ["a percent-encoded one", "postgres://app:p%2Fw%40@db/jobs", "postgres://app:***@db/jobs"],
    ["a raw /", "postgres://app:hun/ter2@db/jobs", "postgres://app:***@db/jobs"],
    [
      "a raw ?",
      "postgres://app:hun?ter2@db/jobs?schema=ci",
      "postgres://app:***@db/jobs?schema=ci",
    ],
    ["a raw #", "postgres://app:hun#ter2@db/jobs", "postgres://app:***@db/jobs"],
    [
      "a raw @: the last @ ends it",
      "postgres://app:hun@ter2@db/jobs",
      "postgres://app:***@db/jobs",
    ],
    ["a raw :", "postgres://app:hun:ter2@db:5432/jobs", "postgres://app:***@db:5432/jobs"],
    ["all of them", "postgres://app:/?#@:@db/jobs", "postgres://app:***@db/jobs"],
    ["an empty password", "postgres://app:@db/jobs", "postgres://app:***@db/jobs"],
    [
      "several hosts",
      "postgres://app:pw@h1:5432,h2:5433/jobs",
      "postgres://app:***@h1:5432,h2:5433/jobs",
    ],
    ["an IPv6 host", "postgres://app:pw@[::1]:5432/jobs", "postgres://app:***@[::1]:5432/jobs"],
    ["an IPv6 host, no password", "postgres://[::1]:5432/jobs", "postgres://[::1]:5432/jobs"],
    [
      "a password parameter",
      "postgres://app@db/jobs?password=hunter2&schema=ci",
      "postgres://app@db/jobs?password=***&schema=ci",
    ],
    [
      "in any case",
      "postgres://db/jobs?schema=ci&PassWord=x",
      "postgres://db/jobs?schema=ci&PassWord=***",
    ],
    ["sslpassword", "postgres://db/jobs?sslpassword=x", "postgres://db/jobs?sslpassword=***"],
    [
      "any name ending in password",
      "postgres://db/jobs?my_password=x",
      "postgres://db/jobs?my_password=***",
    ],
    [
      "a percent-encoded name",
      "postgres://db/jobs?pass%77ord=x",
      "postgres://db/jobs?pass%77ord=***",
    ],
    [
      "a value runs past a raw #",
      "postgres://db/jobs?password=a#b",
      "postgres://db/jobs?password=***",
    ],
    [
      "a password parameter after a raw ? hides the value it is in",
      "postgres://db/jobs?schema=ci?password=x",
      "postgres://db/jobs?schema=***",
    ],
    [
      "both a password and a parameter",
      "postgres://app:a/b@db/jobs?sslpassword=c#d",
      "postgres://app:***@db/jobs?sslpassword=***",
    ],
    [
      "passfile names a file: no secret",
      "postgres://db/jobs?passfile=/a/.pgpass",
      "postgres://db/jobs?passfile=/a/.pgpass",
    ],
    [
      "a @ in a parameter hides the host too: too much, never too little",
      "postgres://app:pw@db:5432/jobs?application_name=a@b",
      "postgres://app:***@b",
    ],
  ];
  for (const [intent, location, shown] of cases) {
    assert.equal(maskLocation(location), shown, intent);
    assert.equal(locationHasSecret(location), location !== shown, intent);
  }
});

Deno.test("maskSecrets() masks the location, other URLs and the bare secrets in a message", () => {
  const cases: [string, string, string, string][] = [
    [
      "the location, quoted whole though it does not parse",
      "postgres://app:p w/x@db/jobs",
      'Invalid URL: "postgres://app:p w/x@db/jobs"',
      'Invalid URL: "postgres://app:***@db/jobs"',
    ],
    [
      "the URL as the driver wrote it back (encoded)",
      "postgres://app:p w@db/jobs",
      "cannot use postgres://app:p%20w@db/jobs",
      "cannot use postgres://app:***@db/jobs",
    ],
    [
      "a password quoted bare, as written and decoded",
      "postgres://app:p%40ssword@db/jobs?sslpassword=key+pass",
      'bad password "p@ssword", bad ssl key "key pass"',
      'bad password "***", bad ssl key "***"',
    ],
    [
      "a password like the scheme leaves the masked URL be",
      "postgres://postgres:postgres@db/jobs",
      "Cannot reach postgres://postgres:postgres@db/jobs: role postgres",
      "Cannot reach postgres://postgres:***@db/jobs: role ***",
    ],
    [
      "a password too short to tell from other text is masked in URLs only",
      "postgres://app:1@127.0.0.1:1/jobs",
      "at postgres://app:1@127.0.0.1:1/jobs: connect ECONNREFUSED 127.0.0.1:1",
      "at postgres://app:***@127.0.0.1:1/jobs: connect ECONNREFUSED 127.0.0.1:1",
    ],
    [
      "a file path has no secret",
      "/srv/queue.db",
      'Cannot open "/srv/queue.db": denied',
      'Cannot open "/srv/queue.db": denied',
    ],
    [
      "the punctuation after a URL stays",
      "postgres://db/jobs?password=hunter2",
      "at postgres://db/jobs?password=***: refused (see postgres://app:pw@db/x).",
      "at postgres://db/jobs?password=***: refused (see postgres://app:***@db/x).",
    ],
    [
      "no location given: URLs are still masked",
      "",
      "at postgres://app:hunter2@db/jobs",
      "at postgres://app:***@db/jobs",
    ],
  ];
  for (const [intent, location, text, masked] of cases) {
    assert.equal(maskSecrets(text, location), masked, intent);
  }
});
