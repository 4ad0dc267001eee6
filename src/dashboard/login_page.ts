/** The page that asks for the dashboard's token (only when one is required). */

/** What the login page says about the last attempt. */
export type LoginNotice = "none" | "wrong" | "throttled";

const NOTICES: Record<LoginNotice, string> = {
  none: "",
  wrong: '<p class="error" id="login-error">That token is not right.</p>',
  throttled:
    '<p class="error" id="login-error">Too many wrong tokens: wait a few seconds and try ' +
    "again.</p>",
};

/** The login form, with `notice` about the last attempt. Nothing user-controlled is shown. */
export function loginPage(notice: LoginNotice): string {
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
${NOTICES[notice]}
</main>
</body>
</html>
`;
}
