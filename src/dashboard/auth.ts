/**
 * Who may use the dashboard: on a loopback address, anyone on this machine; anywhere else, only
 * holders of the token (`Authorization: Bearer TOKEN`, or the cookie the login form sets). Every
 * action (POST) also needs the page's CSRF token in `X-CSRF-Token`, so another site cannot make a
 * logged-in browser act.
 *
 * @module
 */

/** The cookie the login form sets. */
export const SESSION_COOKIE = "queuectl_token";

/** What the dashboard checks requests against. */
export interface AccessPolicy {
  /** Required on every request when set. */
  token: string | null;
  /** Random per dashboard process; embedded in the page, required on every POST. */
  csrfToken: string;
}

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

/** Whether the request carries the token (always true when none is required). */
export function isAuthenticated(request: Request, policy: AccessPolicy): boolean {
  if (policy.token === null) return true;
  const header = request.headers.get("authorization") ?? "";
  const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
  if (bearer !== undefined && sameSecret(bearer, policy.token)) return true;
  const cookie = cookieValue(request, SESSION_COOKIE);
  return cookie !== undefined && sameSecret(cookie, policy.token);
}

/** Whether a state-changing request carries the CSRF token. */
export function hasCsrfToken(request: Request, policy: AccessPolicy): boolean {
  const given = request.headers.get("x-csrf-token");
  return given !== null && sameSecret(given, policy.csrfToken);
}

/** The `Set-Cookie` value that logs a browser in. */
export function sessionCookie(token: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict${
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
    if (key === name) {
      try {
        return decodeURIComponent(value.join("="));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
