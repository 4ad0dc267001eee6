/**
 * Which `Host` and `Origin` the dashboard answers to.
 *
 * A dashboard on a loopback address without a token trusts whatever reaches it, and a web page
 * can reach it by DNS rebinding: its own name, re-pointed at 127.0.0.1, makes the browser treat
 * the dashboard as the page's own origin, so it may read the CSRF token and post with it. Such
 * requests still carry the page's name in `Host`, so without a token only loopback names at the
 * bound port are served. With a token, `Host` is free (a reverse proxy's name), since the token
 * is what a rebinding page lacks. Either way, a POST must come from the origin it is sent to.
 *
 * @module
 */

/** A `Host` header's parts: `hostname` lowercased (IPv6 in brackets), `port` when given. */
export interface HostParts {
  hostname: string;
  port: number | null;
}

/** A reg-name of letters, digits, ".", "_", "-", or a bracketed IPv6 address; then a port. */
const HOST_SYNTAX = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/;

/** The parts of a `Host` header, or null when it is no host[:port] (nothing else is served). */
export function parseHost(value: string): HostParts | null {
  const match = HOST_SYNTAX.exec(value);
  if (!match) return null;
  const port = match[2] === undefined ? null : Number(match[2]);
  if (port !== null && port > 65535) return null;
  return { hostname: match[1].toLowerCase(), port };
}

/**
 * Whether `host` (a `Host` header) names this machine's loopback at `port`: an address in
 * 127.0.0.0/8, `[::1]`, or `localhost` (any case, with or without the trailing dot). Without a
 * port it means 80, as HTTP says.
 */
export function isLoopbackHost(host: string, port: number): boolean {
  const parts = parseHost(host);
  if (!parts || (parts.port ?? 80) !== port) return false;
  const name = parts.hostname;
  if (name === "[::1]" || name === "localhost" || name === "localhost.") return true;
  const ipv4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name);
  return ipv4 !== null && ipv4.slice(1).every((octet) => Number(octet) <= 255);
}

/**
 * Why a POST is refused as coming from another site, or null when it does not: its
 * `Sec-Fetch-Site` is neither `same-origin` nor `none` (ports do not separate sites, so
 * `same-site` may be another local web app), or its `Origin` is not the one it was sent to
 * (`http` or `https` and the `Host` it carries, so a TLS proxy in front works). Clients that send
 * neither header, such as scripts, are not browsers a page can drive.
 */
export function crossSiteRefusal(request: Request): string | null {
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") {
    return `Refused a POST with Sec-Fetch-Site "${site}": ` +
      "actions must come from this dashboard's page";
  }
  const origin = request.headers.get("origin");
  if (origin === null) return null;
  const host = request.headers.get("host");
  if (host !== null && isOriginOfHost(origin, host)) return null;
  return `Refused a POST from origin "${origin}": actions must come from this dashboard's page`;
}

function isOriginOfHost(origin: string, host: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.origin !== origin) {
    return false;
  }
  const served = parseHost(host);
  if (!served) return false;
  const defaultPort = url.protocol === "https:" ? 443 : 80;
  const originPort = url.port === "" ? defaultPort : Number(url.port);
  return url.hostname === served.hostname && originPort === (served.port ?? defaultPort);
}
