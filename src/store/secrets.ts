/**
 * What of a store location must never be printed: the password of a `postgres://` URL and any
 * parameter whose name ends in `password` (libpq's `password` and `sslpassword`, in any case).
 * `maskLocation` is the one function that makes a location safe to show (status, doctor, errors,
 * logs, the dashboard, `service install`); `maskSecrets` cleans a message that may quote one.
 *
 * Users paste passwords into URLs without percent-encoding them, so a password may hold a raw
 * `/`, `?`, `#` or `@` and the URL's structure cannot be trusted: everything between `://` and
 * the last `@` is taken as the user and password. A `@` in a parameter value makes that mask
 * too much (the host is hidden as well), which is the safe way to be wrong.
 *
 * @module
 */

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Anything that looks like a URL in a message: up to white space or a quote, and not the
 * punctuation after it (`at URL: why`).
 */
const URL_IN_TEXT = /[a-z][a-z0-9+.-]*:\/\/[^\s"'`<>]*[^\s"'`<>:;,.!?)\]]/gi;

/** Shown instead of a secret. */
const MASK = "***";

/**
 * Secrets shorter than this are masked in URLs but not wherever else they appear in a message:
 * a password such as "1" would mangle every number, and is no secret anyway.
 */
const MIN_LOOSE_SECRET = 4;

/**
 * The location as it may be printed: a URL with its password and password parameters replaced by
 * `***` (the user name stays, to tell roles apart); a file path as it is. Works on URLs that do
 * not parse.
 *
 * @example
 * ```ts
 * import { maskLocation } from "./secrets.ts";
 * console.assert(maskLocation("postgres://app:s/cr?t@db/jobs") === "postgres://app:***@db/jobs");
 * console.assert(maskLocation("postgres://db/jobs?password=x") === "postgres://db/jobs?password=***");
 * ```
 */
export function maskLocation(location: string): string {
  const parts = splitLocation(location);
  if (parts === undefined) return location;
  const userinfo = parts.password === undefined ? "" : `${parts.user}:${MASK}@`;
  const query = parts.query?.map((segment) =>
    isSecretSegment(segment) ? `${segment.slice(0, segment.indexOf("="))}=${MASK}` : segment
  );
  return `${parts.scheme}${userinfo}${parts.server}${query ? `?${query.join("&")}` : ""}`;
}

/** Whether `maskLocation` hides anything of `location`: it holds a secret. */
export function locationHasSecret(location: string): boolean {
  return maskLocation(location) !== location;
}

/**
 * `text` (an error message, a log line) with every URL in it masked, and each secret of
 * `location` (as written, and percent-decoded) replaced by `***` wherever else it appears: a
 * driver may quote a password in a form of its own.
 *
 * @example
 * ```ts
 * import { maskSecrets } from "./secrets.ts";
 * const url = "postgres://app:hunter2@db/jobs";
 * console.assert(maskSecrets(`Cannot use ${url}: bad password "hunter2"`, url) ===
 *   'Cannot use postgres://app:***@db/jobs: bad password "***"');
 * ```
 */
export function maskSecrets(text: string, location: string): string {
  const secrets = locationSecrets(location).filter((secret) => secret.length >= MIN_LOOSE_SECRET);
  const maskLoose = (between: string) =>
    secrets.reduce((clean, secret) => clean.replaceAll(secret, MASK), between);
  // URLs are masked as URLs, and the secrets looked for only around them, so that a password
  // such as "postgres" leaves the scheme be.
  const maskPart = (part: string) => {
    let masked = "";
    let last = 0;
    for (const match of part.matchAll(URL_IN_TEXT)) {
      masked += maskLoose(part.slice(last, match.index)) + maskLocation(match[0]);
      last = match.index + match[0].length;
    }
    return masked + maskLoose(part.slice(last));
  };
  // The location first, whole: it may hold white space or quotes, where URL_IN_TEXT stops.
  if (location === "") return maskPart(text);
  return text.split(location).map(maskPart).join(maskLocation(location));
}

/** A URL cut where its secrets are; undefined for a path. */
interface LocationParts {
  /** `postgres://`. */
  scheme: string;
  user: string;
  /** Undefined when there is no `user:password@`. */
  password?: string;
  /** Host, port and path. */
  server: string;
  /** The `name=value` segments after the first `?` of what follows the password, if any. */
  query?: string[];
}

function splitLocation(location: string): LocationParts | undefined {
  const scheme = SCHEME.exec(location)?.[0];
  if (scheme === undefined) return undefined;
  let rest = location.slice(scheme.length);
  let user = "";
  let password: string | undefined;
  const at = rest.lastIndexOf("@");
  const colon = rest.indexOf(":");
  if (at >= 0 && colon >= 0 && colon < at) {
    user = rest.slice(0, colon);
    password = rest.slice(colon + 1, at);
    rest = rest.slice(at + 1);
  }
  const question = rest.indexOf("?");
  if (question < 0) return { scheme, user, password, server: rest };
  return {
    scheme,
    user,
    password,
    server: rest.slice(0, question),
    query: rest.slice(question + 1).split("&"),
  };
}

/** The secrets in `location`, longest first (so none is left half masked), as written and decoded. */
function locationSecrets(location: string): string[] {
  const parts = splitLocation(location);
  if (parts === undefined) return [];
  const found = (parts.query ?? []).filter(isSecretSegment)
    .map((segment) => segment.slice(segment.indexOf("=") + 1));
  if (parts.password !== undefined) found.push(parts.password);
  const forms = found.flatMap((
    secret,
  ) => [secret, decode(secret), decode(secret.replaceAll("+", " "))]);
  return [...new Set(forms)].filter((secret) => secret !== "").sort((a, b) => b.length - a.length);
}

/**
 * Whether `name=value` is a password parameter: a name ending in `password`, percent-encoded or
 * not, in any case. A value that itself holds `password=` (after a raw `?`) counts too. A value
 * runs to the next `&`, past a raw `#`: that is likelier part of a password than a fragment.
 */
function isSecretSegment(segment: string): boolean {
  const equals = segment.indexOf("=");
  if (equals < 0) return false;
  const name = decode(segment.slice(0, equals)).trim().toLowerCase();
  return name.endsWith("password") || /password\s*=/i.test(decode(segment.slice(equals + 1)));
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
