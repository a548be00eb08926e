"""The emulator's few HTML pages (sign-in, sign-up, sign-out), kept deliberately plain."""

from __future__ import annotations

from html import escape

from werkzeug.wrappers import Response

_STYLE = """
body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1d2330;margin:0}
main{max-width:24rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:.5rem;
box-shadow:0 1px 3px #0002}
h1{font-size:1.4rem;margin-top:0}
label{display:block;margin:.8rem 0 .3rem;font-weight:600}
input{width:100%;box-sizing:border-box;padding:.55rem;border:1px solid #767c88;border-radius:.3rem;
font:inherit}
button{margin-top:1.2rem;width:100%;padding:.6rem;border:0;border-radius:.3rem;background:#5d34f2;
color:#fff;font:inherit;font-weight:600;cursor:pointer}
.error{background:#fde8e8;color:#8a1c1c;padding:.6rem;border-radius:.3rem}
.note{color:#4a5060;font-size:.9rem}
a{color:#4b22d6}
"""


def page(title: str, body: str, status: int = 200, *, lang: str = "en") -> Response:
    html = (
        f"<!doctype html><html lang='{escape(lang)}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)} · Logto emulator</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}<p class='note'>Logto emulator · for development and tests only"
        "</p></main></body></html>"
    )
    return Response(html, status=status, content_type="text/html; charset=utf-8")


def error_block(message: str | None) -> str:
    return f"<p class='error' role='alert'>{escape(message)}</p>" if message else ""


def sign_in_page(
    uid: str,
    email: str = "",
    error: str | None = None,
    *,
    can_register: bool = True,
    lang: str = "en",
) -> Response:
    register = (
        f'<p>No account yet? <a href="/register?interaction={escape(uid)}">Create account</a></p>'
        if can_register
        else ""
    )
    body = f"""<h1>Sign in</h1>{error_block(error)}
<form method="post" action="/sign-in">
<input type="hidden" name="interaction" value="{escape(uid)}">
<label for="identifier">Email / Username</label>
<input id="identifier" name="identifier" type="text" autocomplete="username" required
 value="{escape(email)}" autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
{register}"""
    return page("Sign in", body, status=422 if error else 200, lang=lang)


def register_page(uid: str, email: str = "", name: str = "", error: str | None = None) -> Response:
    body = f"""<h1>Create account</h1>{error_block(error)}
<form method="post" action="/register">
<input type="hidden" name="interaction" value="{escape(uid)}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="email" required value="{escape(email)}">
<label for="name">Name</label>
<input id="name" name="name" type="text" autocomplete="name" value="{escape(name)}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="new-password" required
 minlength="8">
<button type="submit">Create account</button>
</form>
<p>Have an account? <a href="/sign-in?interaction={escape(uid)}">Sign in</a></p>"""
    return page("Create account", body, status=422 if error else 200)


def mfa_binding_page(uid: str, *, can_skip: bool = False) -> Response:
    skip = (
        '<button type="submit" name="skip" value="1" class="secondary">Skip for now</button>'
        if can_skip
        else ""
    )
    body = f"""<h1>Set up two-step verification</h1>
<p>Add this account to your authenticator app{"" if can_skip else " to continue"}.</p>
<form method="post" action="/mfa-binding">
<input type="hidden" name="interaction" value="{escape(uid)}">
<button type="submit">I have added it to my authenticator app</button>
{skip}
</form>"""
    return page("Two-step verification", body)


def end_session_page(xsrf: str) -> Response:
    # Like Logto: a form the browser submits by itself; the button covers disabled scripts.
    body = f"""<h1>Signing out…</h1>
<form method="post" action="/oidc/session/end/confirm" id="op.logoutForm">
<input type="hidden" name="xsrf" value="{escape(xsrf)}">
<input type="hidden" name="logout" value="yes">
<button type="submit">Sign out</button>
</form>
<script>document.getElementById('op.logoutForm').submit()</script>"""
    return page("Sign out", body)


def message_page(title: str, message: str, status: int = 200) -> Response:
    return page(title, f"<h1>{escape(title)}</h1><p>{escape(message)}</p>", status=status)


def outbox_page(messages: list) -> Response:
    rows = "".join(
        f"<li><strong>To:</strong> {escape(m.to)} · <strong>Template:</strong> "
        f"{escape(m.template)}<br><strong>Organization:</strong> "
        f"{escape(str((m.payload.get('organization') or {}).get('name', '')))}"
        + (
            f'<br><a href="{escape(m.payload["link"])}">{escape(m.payload["link"])}</a>'
            if m.payload.get("link")
            else ""
        )
        + "</li>"
        for m in reversed(messages)
    )
    body = (
        "<h1>Outbox</h1><p>Emails Logto would have sent through its email connector, "
        "newest first.</p>" + (f"<ul>{rows}</ul>" if rows else "<p>No emails yet.</p>")
    )
    return page("Outbox", body)
