"""The web pages are files from the www directory: served with their type,
an ETag, a strict Content-Security-Policy; nothing outside the directory
and no unknown type can be named; the API's own 404s stay JSON."""

import http.client
import os

from test_limits import daemon_with


def raw_get(d, path, headers=None, method="GET"):
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def test_pages_are_served_with_type_etag_and_policy(t):
    www = os.path.join(t.cluster.tmp, f"{t.db}-www")
    os.makedirs(www)
    with open(os.path.join(www, "index.html"), "w") as f:
        f.write("<!doctype html><title>callbackd</title>")
    with open(os.path.join(www, "app.js"), "w") as f:
        f.write("export const x = 1;\n")
    with open(os.path.join(t.cluster.tmp, f"{t.db}-secret.css"), "w") as f:
        f.write("secret")
    os.symlink(os.path.join(t.cluster.tmp, f"{t.db}-secret.css"),
               os.path.join(www, "link.css"))
    d = daemon_with(t, www=www)

    st, h, body = raw_get(d, "/")
    assert st == 200 and body.startswith(b"<!doctype html>")
    assert h["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in h["content-security-policy"]
    assert "script-src 'self'" in h["content-security-policy"]
    assert h["x-content-type-options"] == "nosniff"
    assert h["cache-control"] == "no-cache"
    st, h2, body = raw_get(d, "/app.js")
    assert st == 200 and h2["content-type"] == "text/javascript; charset=utf-8"
    assert body == b"export const x = 1;\n"
    # revalidation: the same ETag gets 304 and no body
    st, _, body = raw_get(d, "/app.js", {"If-None-Match": h2["etag"]})
    assert st == 304 and body == b""
    st, h3, body = raw_get(d, "/index.html", method="HEAD")
    assert st == 200 and body == b"" and h3["etag"] == h["etag"]

    for bad in ("/../secret.css", "/%2e%2e/secret.css", "/link.css", "/.hidden.js",
                "/app.exe", "/app", "/sub/app.js", "/app.js.bak", "/" + "a" * 80 + ".js"):
        st, h, body = raw_get(d, bad)
        assert st == 404, (bad, st)
        assert b"secret" not in body
    # the API's unknown paths answer JSON, not a page
    st, h, body = raw_get(d, "/v1/nothing")
    assert st == 404 and h["content-type"] == "application/json"
    # POST to a page is not allowed, and says what is
    st, h, _, _ = d.req("POST", "/index.html", {"x": 1})
    assert st == 405 and h["allow"] == "GET, HEAD, OPTIONS", (st, h)


def test_no_www_directory_means_no_pages(t):
    d = daemon_with(t, www="")
    st, h, _ = raw_get(d, "/")
    assert st == 404 and h["content-type"] == "application/json"
