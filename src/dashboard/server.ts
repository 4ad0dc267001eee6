/**
 * The dashboard's HTTP server (`Deno.serve`): the page and its assets (embedded in the code, so
 * the compiled binary carries them and nothing is fetched from elsewhere), the JSON API,
 * `/metrics` and `/healthz`, behind the access rules of `auth.ts` and strict security headers.
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
import { APP_JS } from "./assets/app_js.ts";
import { pageHtml } from "./assets/page_html.ts";
import { STYLE_CSS } from "./assets/style_css.ts";
import {
  type AccessPolicy,
  hasCsrfToken,
  isAuthenticated,
  randomToken,
  sameSecret,
  sessionCookie,
} from "./auth.ts";
import { loginPage } from "./login_page.ts";
import { metricsText } from "./metrics.ts";

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

/** Starts serving; resolves once the server listens. */
export async function serveDashboard(options: DashboardOptions): Promise<Dashboard> {
  const policy: AccessPolicy = { token: options.token, csrfToken: randomToken() };
  const context: ApiContext = {
    store: options.store,
    clock: options.clock,
    config: async () => configFromOverrides(await options.store.configOverrides()),
    host: options.host,
    location: options.location,
    cwd: options.cwd,
    workerControl: options.workerControl,
  };
  let listening: (port: number) => void = () => {};
  const listened = new Promise<number>((resolve) => listening = resolve);
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    onListen: ({ port }) => listening(port),
  }, async (request) => withHeaders(await route(request, policy, context)));
  const port = await listened;
  const shown = options.hostname.includes(":") ? `[${options.hostname}]` : options.hostname;
  return {
    url: `http://${shown}:${port}/`,
    shutdown: () => server.shutdown(),
    finished: server.finished,
  };
}

async function route(
  request: Request,
  policy: AccessPolicy,
  context: ApiContext,
): Promise<Response> {
  const url = new URL(request.url);
  if (request.method === "GET") {
    // Public: liveness, and the page's code, which holds no data (the login page uses the CSS).
    if (url.pathname === "/healthz") return Response.json({ status: "ok" });
    if (url.pathname === "/assets/app.js") return asset(APP_JS, "text/javascript; charset=utf-8");
    if (url.pathname === "/assets/style.css") return asset(STYLE_CSS, "text/css; charset=utf-8");
  }
  if (url.pathname === "/login" && request.method === "POST") return await login(request, policy);
  if (!isAuthenticated(request, policy)) {
    if (url.pathname === "/" && request.method === "GET") {
      return html(loginPage(false), 401);
    }
    return errorResponse(401, "This dashboard needs its token: Authorization: Bearer TOKEN");
  }
  if (request.method === "POST" && !hasCsrfToken(request, policy)) {
    return errorResponse(403, "Missing or wrong X-CSRF-Token header (reload the page)");
  }
  if (request.method === "GET") {
    switch (url.pathname) {
      case "/":
        return html(pageHtml(policy.csrfToken));
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

/** The login form's POST: sets the session cookie when the token is right. */
async function login(request: Request, policy: AccessPolicy): Promise<Response> {
  if (policy.token === null) return redirect("/");
  let token = "";
  try {
    token = String((await request.formData()).get("token") ?? "");
  } catch {
    // An unreadable form is a wrong token.
  }
  if (!sameSecret(token, policy.token)) return html(loginPage(true), 401);
  const secure = new URL(request.url).protocol === "https:";
  return redirect("/", { "set-cookie": sessionCookie(policy.token, secure) });
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
