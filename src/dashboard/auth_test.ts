import assert from "node:assert/strict";
import {
  type AccessPolicy,
  authenticate,
  checkToken,
  GuessThrottle,
  SESSION_MAX_AGE_SECONDS,
  Sessions,
} from "./auth.ts";

const TOKEN = "s3cret-dashboard-token";

function policy(): AccessPolicy {
  return {
    token: TOKEN,
    csrfToken: "0".repeat(32),
    sessions: new Sessions(),
    throttle: new GuessThrottle(),
  };
}

function withCookie(id: string): Request {
  return new Request("http://127.0.0.1/", { headers: { cookie: `queuectl_session=${id}` } });
}

Deno.test("Sessions: a session is valid until its Max-Age has passed, then never again", () => {
  const sessions = new Sessions();
  const id = sessions.create(1000);
  const maxAgeMs = SESSION_MAX_AGE_SECONDS * 1000;
  assert.equal(SESSION_MAX_AGE_SECONDS, 12 * 60 * 60);
  assert.ok(sessions.isValid(id, 1000));
  assert.ok(sessions.isValid(id, 1000 + maxAgeMs - 1));
  assert.ok(!sessions.isValid(id, 1000 + maxAgeMs));
  assert.ok(!sessions.isValid(id, 1000), "an expired session is forgotten, not revived");
});

Deno.test("Sessions: end() logs one session out and leaves the others", () => {
  const sessions = new Sessions();
  const [a, b] = [sessions.create(0), sessions.create(0)];
  assert.notEqual(a, b);
  sessions.end(a);
  assert.ok(!sessions.isValid(a, 1));
  assert.ok(sessions.isValid(b, 1));
  assert.ok(!sessions.isValid(TOKEN, 1), "the token is no session id");
});

Deno.test("authenticate() takes a live session cookie or the Bearer token, nothing else", () => {
  const access = policy();
  const id = access.sessions.create(0);
  assert.equal(authenticate(withCookie(id), access, 1).kind, "allowed");
  assert.equal(authenticate(withCookie(id), access, SESSION_MAX_AGE_SECONDS * 1000).kind, "denied");
  assert.equal(authenticate(withCookie(TOKEN), access, 1).kind, "denied");
  const bearer = (token: string) =>
    new Request("http://127.0.0.1/", { headers: { authorization: `Bearer ${token}` } });
  assert.equal(authenticate(bearer(TOKEN), access, 1).kind, "allowed");
  assert.equal(authenticate(bearer("wrong-token"), access, 1).kind, "denied");
  assert.equal(authenticate(new Request("http://127.0.0.1/"), access, 1).kind, "denied");
});

Deno.test("checkToken() answers ten wrong guesses, then one a second, refusing even the right one meanwhile", () => {
  const access = policy();
  for (let i = 0; i < 10; i++) assert.equal(checkToken("wrong", access, 0).kind, "denied");
  assert.deepEqual(checkToken(TOKEN, access, 0), { kind: "throttled", retryAfterSeconds: 1 });
  assert.deepEqual(checkToken(TOKEN, access, 500), { kind: "throttled", retryAfterSeconds: 1 });
  assert.equal(checkToken("wrong", access, 1000).kind, "denied");
  assert.equal(checkToken(TOKEN, access, 1000).kind, "throttled");
  assert.equal(checkToken(TOKEN, access, 2000).kind, "allowed");
  // Right tokens cost nothing: the bucket only counts wrong ones.
  assert.equal(checkToken(TOKEN, access, 2000).kind, "allowed");
});

Deno.test("GuessThrottle refills to its capacity, no further", () => {
  const throttle = new GuessThrottle(3, 1000);
  for (let i = 0; i < 3; i++) throttle.failed(0);
  assert.equal(throttle.waitMs(0), 1000);
  assert.equal(throttle.waitMs(250), 750);
  assert.equal(throttle.waitMs(1_000_000), 0);
  for (let i = 0; i < 3; i++) throttle.failed(1_000_000);
  assert.ok(throttle.waitMs(1_000_000) > 0, "a long quiet time refills 3, not more");
});
