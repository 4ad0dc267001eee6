/**
 * The dashboard's one HTML document. It holds no data besides the CSRF token: `app.js` fetches
 * everything from the JSON API and builds the views. No inline script or style, so the strict
 * Content-Security-Policy (`script-src 'self'; style-src 'self'`) holds.
 *
 * @module
 */

/** `text` safe inside an HTML attribute value or element content. */
function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/**
 * The whole page, with the session's CSRF token in `<meta name="csrf-token">`; with `logout`
 * (a dashboard with a token), a sign-out form that posts the CSRF token as a field, so it works
 * without script.
 */
export function pageHtml(csrfToken: string, options: { logout: boolean }): string {
  const logout = options.logout
    ? `
    <form method="post" action="/logout" id="logout-form">
      <input type="hidden" name="csrf_token" value="${escapeHtml(csrfToken)}">
      <button type="submit" class="btn" data-action="logout">Sign out</button>
    </form>`
    : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${escapeHtml(csrfToken)}">
<meta name="referrer" content="no-referrer">
<title>queuectl</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/style.css">
<script src="/assets/operator.js" defer></script>
<script src="/assets/app.js" defer></script>
</head>
<body>
<header class="top">
  <div class="brand">
    <a href="#/" class="logo">queuectl</a>
    <span id="location" class="location mono" title="database"></span>
  </div>
  <nav id="nav" aria-label="Views">
    <a href="#/" data-nav="overview">Overview</a>
    <a href="#/jobs" data-nav="jobs">Jobs</a>
    <a href="#/dlq" data-nav="dlq">Dead letters</a>
    <a href="#/batches" data-nav="batches">Batches</a>
    <a href="#/schedules" data-nav="schedules">Schedules</a>
    <a href="#/workers" data-nav="workers">Workers</a>
  </nav>
  <div class="top-right">
    <span id="status" class="status" data-status="loading" role="status">loading…</span>
    <button type="button" id="enqueue-toggle" class="btn primary" data-action="toggle-enqueue"
      aria-expanded="false" aria-controls="enqueue-panel">Enqueue</button>${logout}
  </div>
</header>
<section id="enqueue-panel" class="enqueue-panel" hidden>
  <form id="enqueue-form" novalidate autocomplete="off">
    <label class="f-command">Command
      <input name="command" type="text" required placeholder="./build.sh --release" spellcheck="false">
    </label>
    <label>Queue
      <input name="queue" type="text" placeholder="default" list="queue-names" spellcheck="false">
    </label>
    <label>Priority
      <input name="priority" type="text" inputmode="numeric" placeholder="0">
    </label>
    <label>Delay
      <input name="delay" type="text" placeholder="30s, 5m, 2h">
    </label>
    <label>Max retries
      <input name="max_retries" type="text" inputmode="numeric" placeholder="config">
    </label>
    <label>Timeout (s)
      <input name="timeout" type="text" inputmode="numeric" placeholder="config">
    </label>
    <div class="f-actions">
      <button type="submit" class="btn primary" data-action="enqueue">Enqueue job</button>
      <button type="button" class="btn" data-action="close-enqueue">Close</button>
    </div>
    <p id="enqueue-error" class="form-error" role="alert" hidden></p>
  </form>
  <datalist id="queue-names"></datalist>
</section>
<div id="flash" class="flash" role="status" aria-live="polite" hidden></div>
<main id="main">
  <p id="view-error" class="view-error" role="alert" hidden></p>
  <div id="view"><noscript>The queuectl dashboard needs JavaScript.</noscript></div>
</main>
</body>
</html>
`;
}
