/** The page that asks for the dashboard's token (only when one is required). */

/** The login form; `failed` says the last token was wrong. Nothing user-controlled is shown. */
export function loginPage(failed: boolean): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>queuectl — sign in</title>
<link rel="stylesheet" href="/assets/style.css">
</head>
<body class="login">
<main class="login-box">
<h1>queuectl</h1>
<p>This dashboard needs its token (<code>--token</code> or <code>QUEUECTL_DASHBOARD_TOKEN</code>).</p>
<form method="post" action="/login" id="login-form">
<label>Token <input type="password" name="token" autocomplete="current-password" autofocus required></label>
<button type="submit">Sign in</button>
</form>
${failed ? '<p class="error" id="login-error">That token is not right.</p>' : ""}
</main>
</body>
</html>
`;
}
