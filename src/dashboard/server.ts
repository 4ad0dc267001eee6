/**
 * The dashboard's HTTP server (`Deno.serve`): the page and its assets (`assets/app.js`,
 * `assets/operator.js` and `assets/style.css`, imported as text, so the compiled binary carries them and nothing is
 * fetched from elsewhere), the JSON API, `/metrics` and `/healthz`, behind the Host and Origin
 * checks of `origin.ts`, the access rules of `auth.ts`, the body caps of `request_body.ts`, and
 * strict security headers.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import { configFromOverrides } from "../config.ts";
import type { Store } from "../store/mod.ts";
import {
  aliveWorkerCount,
  type ApiContext,
  errorResponse,
  handleApi,
  type WorkerControl,
} from "./api.ts";
// Text imports: deno compile embeds what a module imports this way (the guard is in
// tests/project_test.ts), so the binary serves these files without reading the disk.
import APP_JS from "./assets/app.js" with { type: "text" };
import OPERATOR_JS from "./assets/operator.js" with { type: "text" };
import { pageHtml } from "./assets/page_html.ts";
import STYLE_CSS from "./assets/style.css" with { type: "text" };
import {
  type Access,
  type AccessPolicy,
  authenticate,
  checkToken,
  clearedSessionCookie,
  GuessThrottle,
  hasCsrfToken,
  randomToken,
  sessionCookie,
  sessionId,
  Sessions,
} from "./auth.ts";
import { loginPage } from "./login_page.ts";
import { metricsText } from "./metrics.ts";
import { crossSiteRefusal, isLoopbackHost, parseHost } from "./origin.ts";
import { HttpError, readFormBody } from "./request_body.ts";

/** How the dashboard is served. */
export interface DashboardOptions {
  store: Store;
  clock: Clock;
  hostname: string;
  port: number;
  /** Required on every request when set (must be set off loopback: the caller checks). */
  token: string | null;
  host: string;
  location: string;
  cwd: string;
  workerControl: WorkerControl | null;
}

/** A running dashboard. */
export interface Dashboard {
  url: string;
  /** Stops accepting requests and resolves once the open ones are answered. */
  shutdown(): Promise<void>;
  finished: Promise<void>;
}

/** Applied to every response: no framing, no sniffing, nothing loaded from elsewhere. */
const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; " +
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; " +
    "base-uri 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

/** Largest login or logout form read: a token or a CSRF token is far smaller. */
const MAX_FORM_BYTES = 4096;

/** What every request is routed with. */
interface Served {
  policy: AccessPolicy;
  context: ApiContext;
  /** The port listened on (Host must name it when there is no token). */
  port: number;
}

/** Starts serving; resolves once the server listens. */
export async function serveDashboard(options: DashboardOptions): Promise<Dashboard> {
  const policy: AccessPolicy = {
    token: options.token,
    csrfToken: randomToken(),
    sessions: new Sessions(),
    throttle: new GuessThrottle(),
  };
  const context: ApiContext = {
    store: options.store,
    clock: options.clock,
    config: async () => configFromOverrides(await options.store.configOverrides()),
    host: options.host,
    location: options.location,
    cwd: options.cwd,
    workerControl: options.workerControl,
  };
  const served: Served = { policy, context, port: options.port };
  let listening: (port: number) => void = () => {};
  const listened = new Promise<number>((resolve) => listening = resolve);
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    onListen: ({ port }) => listening(port),
  }, async (request) => withHeaders(await answer(request, served)));
  const port = await listened;
  // No request is answered before the server listens, so none sees the port unset.
  served.port = port;
  const shown = options.hostname.includes(":") ? `[${options.hostname}]` : options.hostname;
  return {
    url: `http://${shown}:${port}/`,
    shutdown: () => server.shutdown(),
    finished: server.finished,
  };
}

async function answer(request: Request, served: Served): Promise<Response> {
  try {
    return await route(request, served);
  } catch (error) {
    if (error instanceof HttpError) return errorResponse(error.status, error.message);
    throw error;
  }
}

async function route(request: Request, served: Served): Promise<Response> {
  const { policy, context } = served;
  const host = request.headers.get("host");
  // Deno builds request.url from Host: a Host that is not host[:port] could even move the path.
  if (host !== null && parseHost(host) === null) {
    return policy.token === null
      ? misdirected(host, served.port)
      : errorResponse(400, `Invalid Host header ${JSON.stringify(host)}`);
  }
  let url: URL | null = null;
  try {
    url = new URL(request.url);
  } catch {
    // Answered below, once a misdirected Host has had its 421.
  }
  // Liveness for probes under any name: it says "ok" and nothing else, as a 421 would.
  if (url?.pathname === "/healthz" && request.method === "GET") {
    return Response.json({ status: "ok" });
  }
  // Without a token, only a loopback name is this machine (see origin.ts). A request without
  // Host (HTTP/1.0) is no browser's, so it cannot be a rebinding page's.
  if (policy.token === null && host !== null && !isLoopbackHost(host, served.port)) {
    return misdirected(host, served.port);
  }
  if (url === null) return errorResponse(400, "Malformed request target");
  if (request.method === "POST") {
    const refusal = crossSiteRefusal(request);
    if (refusal !== null) return errorResponse(403, refusal);
    if (url.pathname === "/login") return await login(request, policy, context.clock.now());
    if (url.pathname === "/logout") return await logout(request, policy);
  }
  if (request.method === "GET") {
    // Public: the page's code, which holds no data (the login page uses the CSS).
    if (url.pathname === "/assets/app.js") return asset(APP_JS, "text/javascript; charset=utf-8");
    if (url.pathname === "/assets/style.css") return asset(STYLE_CSS, "text/css; charset=utf-8");
    if (url.pathname === "/assets/operator.js") {
      return asset(OPERATOR_JS, "text/javascript; charset=utf-8");
    }
  }
  const access = authenticate(request, policy, context.clock.now());
  if (access.kind === "throttled") return throttled(access);
  if (access.kind === "denied") {
    if (url.pathname === "/" && request.method === "GET") {
      return html(loginPage("none"), 401);
    }
    return errorResponse(401, "This dashboard needs its token: Authorization: Bearer TOKEN");
  }
  if (request.method === "POST" && !hasCsrfToken(request, policy)) {
    return errorResponse(403, "Missing or wrong X-CSRF-Token header (reload the page)");
  }
  if (request.method === "GET") {
    switch (url.pathname) {
      case "/":
        return html(pageHtml(policy.csrfToken, { logout: policy.token !== null }));
      case "/metrics":
        return new Response(await metricsText(context.store, () => aliveWorkerCount(context)), {
          headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
        });
      case "/api/session":
        return Response.json({
          csrf_token: policy.csrfToken,
          worker_control: context.workerControl !== null,
        });
    }
  }
  if (url.pathname.startsWith("/api/")) return await handleApi(request, url, context);
  return errorResponse(404, `Not found: ${url.pathname}`);
}

function misdirected(host: string, port: number): Response {
  return errorResponse(
    421,
    `Misdirected request: without a token this dashboard answers to Host 127.0.0.1, localhost ` +
      `or [::1] at port ${port} only, not ${JSON.stringify(host)}`,
  );
}

function throttled(access: Extract<Access, { kind: "throttled" }>, body?: string): Response {
  const response = body === undefined
    ? errorResponse(
      429,
      `Too many wrong tokens: try again in ${access.retryAfterSeconds} s`,
    )
    : html(body, 429);
  response.headers.set("retry-after", String(access.retryAfterSeconds));
  return response;
}

/** The login form's POST: starts a session when the token is right. */
async function login(request: Request, policy: AccessPolicy, now: number): Promise<Response> {
  if (policy.token === null) return redirect("/");
  const form = await readFormBody(request, MAX_FORM_BYTES);
  const access = checkToken(form.get("token") ?? "", policy, now);
  if (access.kind === "throttled") return throttled(access, loginPage("throttled"));
  if (access.kind === "denied") return html(loginPage("wrong"), 401);
  const secure = new URL(request.url).protocol === "https:";
  return redirect("/", { "set-cookie": sessionCookie(policy.sessions.create(now), secure) });
}

/**
 * Ends the request's session and clears its cookie. Needs the CSRF token (the page's form sends
 * it as the field `csrf_token`), or another site could log a browser out.
 */
async function logout(request: Request, policy: AccessPolicy): Promise<Response> {
  const given = request.headers.get("x-csrf-token") ??
    (await readFormBody(request, MAX_FORM_BYTES)).get("csrf_token");
  if (!hasCsrfToken(request, policy, given)) {
    return errorResponse(403, "Missing or wrong CSRF token (reload the page)");
  }
  const id = sessionId(request);
  if (id !== undefined) policy.sessions.end(id);
  const secure = new URL(request.url).protocol === "https:";
  return redirect("/", { "set-cookie": clearedSessionCookie(secure) });
}

function redirect(location: string, headers: Record<string, string> = {}): Response {
  return new Response(null, { status: 303, headers: { location, ...headers } });
}

function html(body: string, status = 200): Response {
  return new Response(body, { status, headers: { "content-type": "text/html; charset=utf-8" } });
}

function asset(body: string, type: string): Response {
  return new Response(body, { headers: { "content-type": type } });
}

function withHeaders(response: Response): Response {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    if (!response.headers.has(name)) response.headers.set(name, value);
  }
  return response;
}
