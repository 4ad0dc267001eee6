/**
 * Who may use the dashboard: on a loopback address, anyone on this machine; anywhere else, only
 * holders of the token (`Authorization: Bearer TOKEN`, or the session cookie the login form
 * sets). Every action (POST) also needs the page's CSRF token in `X-CSRF-Token`, so another site
 * cannot make a logged-in browser act.
 *
 * The cookie holds a random session id, never the token: the sessions live in this process only
 * (a restart logs everyone out), expire after `SESSION_MAX_AGE_SECONDS`, and end at logout.
 * Guesses of the token (the login form and Bearer headers) go through one `GuessThrottle`.
 *
 * @module
 */

/** The cookie the login form sets. */
export const SESSION_COOKIE = "queuectl_session";

/** How long a login lasts, in the cookie's Max-Age and on the server. */
export const SESSION_MAX_AGE_SECONDS = 12 * 60 * 60;

/** The most sessions kept: a login beyond it ends the oldest. */
const MAX_SESSIONS = 1000;

/** What the dashboard checks requests against. */
export interface AccessPolicy {
  /** Required on every request when set. */
  token: string | null;
  /** Random per dashboard process; embedded in the page, required on every POST. */
  csrfToken: string;
  sessions: Sessions;
  throttle: GuessThrottle;
}

/** The outcome of checking a request's credentials. */
export type Access =
  | { kind: "allowed" }
  | { kind: "denied" }
  | { kind: "throttled"; retryAfterSeconds: number };

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "");
  return bare === "localhost" || bare === "::1" || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

/** A new random token (URL-safe, 128 bits). */
export function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** The logged-in browsers: random ids with their expiry, in memory. */
export class Sessions {
  readonly #expiry = new Map<string, number>();
  readonly #maxAgeMs: number;

  constructor(maxAgeMs = SESSION_MAX_AGE_SECONDS * 1000) {
    this.#maxAgeMs = maxAgeMs;
  }

  /** Starts a session; returns its id (for the cookie). */
  create(now: number): string {
    for (const [id, expiry] of this.#expiry) if (expiry <= now) this.#expiry.delete(id);
    // Maps iterate in insertion order: the first is the oldest login.
    if (this.#expiry.size >= MAX_SESSIONS) this.#expiry.delete(this.#expiry.keys().next().value!);
    const id = randomToken();
    this.#expiry.set(id, now + this.#maxAgeMs);
    return id;
  }

  /** Whether `id` is a session that has not expired or ended. */
  isValid(id: string, now: number): boolean {
    const expiry = this.#expiry.get(id);
    if (expiry === undefined) return false;
    if (expiry > now) return true;
    this.#expiry.delete(id);
    return false;
  }

  /** Ends a session (logout). */
  end(id: string): void {
    this.#expiry.delete(id);
  }
}

/**
 * A token bucket of wrong guesses, for the whole process: `capacity` wrong tokens are answered
 * at once, then one more per `refillMs`. While it is empty a guess is refused before it is
 * compared, even a right one: a delay after a wrong answer alone would not slow guesses sent in
 * parallel. A logged-in browser (its cookie is no guess) is not affected.
 */
export class GuessThrottle {
  readonly #capacity: number;
  readonly #refillMs: number;
  #tokens: number;
  #updated: number | null = null;

  constructor(capacity = 10, refillMs = 1000) {
    this.#capacity = capacity;
    this.#refillMs = refillMs;
    this.#tokens = capacity;
  }

  /** 0 when a guess may be checked now, else the ms until one may. */
  waitMs(now: number): number {
    this.#refill(now);
    return this.#tokens >= 1 ? 0 : Math.ceil((1 - this.#tokens) * this.#refillMs);
  }

  /** Records a wrong guess. */
  failed(now: number): void {
    this.#refill(now);
    this.#tokens = Math.max(0, this.#tokens - 1);
  }

  #refill(now: number): void {
    if (this.#updated !== null && now > this.#updated) {
      this.#tokens = Math.min(
        this.#capacity,
        this.#tokens + (now - this.#updated) / this.#refillMs,
      );
    }
    if (this.#updated === null || now > this.#updated) this.#updated = now;
  }
}

/**
 * Checks a guess of the token (from the login form or a Bearer header) through the throttle.
 * Synchronous on purpose: parallel guesses cannot all pass the throttle before one is counted.
 */
export function checkToken(given: string, policy: AccessPolicy, now: number): Access {
  if (policy.token === null) return { kind: "allowed" };
  const waitMs = policy.throttle.waitMs(now);
  if (waitMs > 0) return { kind: "throttled", retryAfterSeconds: Math.ceil(waitMs / 1000) };
  if (sameSecret(given, policy.token)) return { kind: "allowed" };
  policy.throttle.failed(now);
  return { kind: "denied" };
}

/** Whether the request may use the dashboard: a live session cookie or the Bearer token. */
export function authenticate(request: Request, policy: AccessPolicy, now: number): Access {
  if (policy.token === null) return { kind: "allowed" };
  const session = sessionId(request);
  if (session !== undefined && policy.sessions.isValid(session, now)) return { kind: "allowed" };
  const header = request.headers.get("authorization") ?? "";
  const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
  return bearer === undefined ? { kind: "denied" } : checkToken(bearer, policy, now);
}

/** Whether a state-changing request carries the CSRF token (or `given`, from a form). */
export function hasCsrfToken(
  request: Request,
  policy: AccessPolicy,
  given = request.headers.get("x-csrf-token"),
): boolean {
  return given !== null && sameSecret(given, policy.csrfToken);
}

/** The session id of the request's cookie, if it has one. */
export function sessionId(request: Request): string | undefined {
  return cookieValue(request, SESSION_COOKIE);
}

/** The `Set-Cookie` value that logs a browser in as session `id`. */
export function sessionCookie(id: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; Path=/; Max-Age=${SESSION_MAX_AGE_SECONDS}; HttpOnly; ` +
    `SameSite=Strict${secure ? "; Secure" : ""}`;
}

/** The `Set-Cookie` value that logs a browser out. */
export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${
    secure ? "; Secure" : ""
  }`;
}

/** Compares two secrets in time that does not depend on where they differ. */
export function sameSecret(given: string, expected: string): boolean {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  let difference = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) difference |= (a[i] ?? 0) ^ b[i];
  return difference === 0;
}

function cookieValue(request: Request, name: string): string | undefined {
  const header = request.headers.get("cookie") ?? "";
  for (const part of header.split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}
