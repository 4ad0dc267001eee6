import assert from "node:assert/strict";
import { crossSiteRefusal, isLoopbackHost, parseHost } from "./origin.ts";

Deno.test("isLoopbackHost() takes 127.0.0.0/8, [::1] and localhost at the bound port only", () => {
  const cases: [host: string, loopback: boolean, why: string][] = [
    ["127.0.0.1:8080", true, "the default bind"],
    ["127.9.8.7:8080", true, "all of 127.0.0.0/8"],
    ["localhost:8080", true, "the name"],
    ["LOCALHOST.:8080", true, "any case, a trailing dot"],
    ["[::1]:8080", true, "IPv6 loopback"],
    ["127.0.0.1:8081", false, "another port"],
    ["127.0.0.1", false, "no port is port 80"],
    ["evil.example:8080", false, "a rebinding page's name"],
    ["localhost.evil.example:8080", false, "a name that starts like localhost"],
    ["127.0.0.1.evil.example:8080", false, "a name that starts like an address"],
    ["127.0.0.256:8080", false, "not an address"],
    ["0.0.0.0:8080", false, "the wildcard is no loopback name"],
    ["[::ffff:127.0.0.1]:8080", false, "only [::1] of IPv6"],
    ["127.0.0.1:8080@evil.example", false, "not host[:port]"],
    ["", false, "empty"],
  ];
  for (const [host, loopback, why] of cases) {
    assert.equal(isLoopbackHost(host, 8080), loopback, `${JSON.stringify(host)}: ${why}`);
  }
  assert.ok(isLoopbackHost("localhost", 80), "port 80 may be left out");
});

Deno.test("parseHost() accepts host[:port] only", () => {
  assert.deepEqual(parseHost("Dash.Example:443"), { hostname: "dash.example", port: 443 });
  assert.deepEqual(parseHost("[::1]"), { hostname: "[::1]", port: null });
  for (const bad of ["a b", "a/b", "a:99999", "a:", ":80", "a@b", "[x]"]) {
    assert.equal(parseHost(bad), null, bad);
  }
});

Deno.test("crossSiteRefusal() lets a POST through from its own origin or from a script only", () => {
  const post = (headers: Record<string, string>) =>
    crossSiteRefusal(new Request("http://x/", { method: "POST", headers }));
  const host = { host: "127.0.0.1:8080" };
  assert.equal(post(host), null, "no Origin: a script");
  assert.equal(post({ ...host, origin: "http://127.0.0.1:8080" }), null);
  assert.equal(post({ ...host, "sec-fetch-site": "same-origin" }), null);
  assert.equal(post({ host: "dash.example", origin: "https://dash.example" }), null, "a TLS proxy");
  for (
    const headers of [
      { ...host, origin: "http://evil.example" },
      { ...host, origin: "http://127.0.0.1:8081" },
      { ...host, origin: "http://localhost:8080" },
      { ...host, origin: "null" },
      { ...host, origin: "http://127.0.0.1:8080/path" },
      { ...host, origin: "ftp://127.0.0.1:8080" },
      { ...host, "sec-fetch-site": "cross-site" },
      { ...host, "sec-fetch-site": "same-site" },
      { origin: "http://127.0.0.1:8080" },
    ] as Record<string, string>[]
  ) {
    assert.notEqual(post(headers), null, JSON.stringify(headers));
  }
});
