"""A browser walk through the product: every link a role can reach, checked the way a user meets it.

Used by ``tests/test_crawl.py``. One walk logs in as a role, starts at the
dashboard and follows same-origin links breadth first (never submitting a
form). On every page it records what a user would run into:

- a server error or a broken link (any 4xx/5xx page the interface links to);
- console errors and uncaught script errors;
- failed requests (a missing stylesheet, an htmx call answering 500);
- any request to another host (the platform serves everything itself);
- Content-Security-Policy violations, from the ``securitypolicyviolation``
  event (listened for from the first byte by an init script) and from the
  console;
- serious and critical WCAG 2.0/2.1 A and AA violations reported by axe-core
  (vendored in tests/vendor/axe-core, injected through the DevTools protocol,
  which the page's CSP does not govern, so injecting it causes no violation);
- sideways scrolling at a 360 px wide viewport.
"""

import heapq
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.urls import Resolver404, resolve
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from denktank.demo import DEMO_TOTP_SECRET, current_totp_counter

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
BLOCKING_IMPACTS = {"serious", "critical"}

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 780}

# Links the walk does not follow: leaving (logout), switching language (a
# form, and it would change the language for the rest of the walk), the
# admin site, and downloads (calendar files, PDFs, CVs, exports, attachments),
# which are no pages.
SKIP = re.compile(
    r"""
    ^/account/logout/
    | ^/i18n/
    | ^/admin/
    | ^/account/2fa/recovery-codes/download/
    | \.(ics|pdf|json|csv|zip)$
    | ^/werving/\d+/(cv|export)/$
    | ^/einddocument/pdf/\d+/download/$
    | ^/sessies/bijlage/\d+/$
    | ^/sessies/feed/
    """,
    re.VERBOSE,
)

CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "(inline)"}` +
    (event.sourceFile ? ` at ${event.sourceFile}:${event.lineNumber}` : "") +
    (event.sample ? ` sample ${JSON.stringify(event.sample)}` : "")
  );
});
"""

AXE_RUN = """
async (options) => {
  const result = await axe.run(document, options);
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map((node) => node.target.join(" ")),
    // Why the first element fails, e.g. the contrast ratio and both colours.
    why: [...v.nodes[0].any, ...v.nodes[0].all, ...v.nodes[0].none].map((check) => check.message)[0] || "",
  }));
}
"""

LINKS = """
() => [...document.querySelectorAll("a[href]")]
  .filter((a) => !a.hasAttribute("download"))
  .map((a) => new URL(a.getAttribute("href"), document.baseURI).href)
"""

# The page's width, and what sticks out to the right: the outermost elements
# (preferably those not inside a box that scrolls or clips its own overflow),
# or else the text that runs out of its box (a long word or URL).
OVERFLOW = """
(width) => {
  const limit = width + 0.5;
  const clips = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX;
      if (x === "auto" || x === "scroll" || x === "hidden" || x === "clip") return true;
    }
    return false;
  };
  const label = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    [...el.classList].slice(0, 3).map((c) => "." + c).join("");
  const name = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 3; e = e.parentElement) {
      parts.unshift(label(e));
      if (e.id) break;
    }
    return parts.join(" > ");
  };
  const right = (rect) => Math.round(rect.right);
  const all = [...document.body.querySelectorAll("*")].filter((el) => el.getBoundingClientRect().right > limit);
  const unclipped = all.filter((el) => !clips(el));
  const wide = unclipped.length ? unclipped : all;
  const found = wide
    .filter((el) => !wide.includes(el.parentElement))
    .slice(0, 4)
    .map((el) => `${name(el)} (right edge at ${right(el.getBoundingClientRect())} px)`);
  if (!found.length) {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    while (walker.nextNode() && found.length < 4) {
      const node = walker.currentNode;
      if (!node.textContent.trim()) continue;
      range.selectNodeContents(node);
      const rect = range.getBoundingClientRect();
      if (rect.right > limit) {
        const text = node.textContent.trim().slice(0, 50);
        found.push(`text "${text}" in ${name(node.parentElement)} (right edge at ${right(rect)} px)`);
      }
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, offenders: found};
}
"""


@dataclass
class Walk:
    role: str
    visited: list[str] = field(default_factory=list)
    # Links found but not visited because the page limit was reached.
    left: list[str] = field(default_factory=list)
    # Pages whose securitypolicyviolation events were recorded: their console lines about CSP say the same.
    csp_pages: set[str] = field(default_factory=set)
    # kind -> detail -> pages where it happened
    problems: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))

    def add(self, kind: str, page: str, detail: str) -> None:
        pages = self.problems[kind][detail]
        if page not in pages:
            pages.append(page)

    def summary(self) -> str:
        lines = [f"Walk as {self.role}: {len(self.visited)} pages visited, problems below."]
        for kind in sorted(self.problems):
            details = self.problems[kind]
            lines.append(f"\n== {kind} ({len(details)}) ==")
            for detail, pages in sorted(details.items()):
                more = f" and {len(pages) - 5} more" if len(pages) > 5 else ""
                lines.append(f"- {detail}\n    on {', '.join(pages[:5])}{more}")
        lines.append(f"\nPages visited ({len(self.visited)}): " + " ".join(self.visited))
        if self.left:
            lines.append(f"Not visited, page limit reached ({len(self.left)}): " + " ".join(sorted(self.left)))
        return "\n".join(lines)


def route_of(path: str) -> str:
    try:
        return resolve(path).view_name
    except Resolver404:
        return path


def log_in(page, base_url: str, email: str, password: str, two_factor: bool) -> None:
    page.goto(f"{base_url}/account/login/")
    login_form = page.locator("form:has(input[name=login])")
    login_form.locator("input[name=login]").fill(email)
    login_form.locator("input[name=password]").fill(password)
    login_form.locator("button[type=submit]").click()
    if two_factor:
        expect(page).to_have_url(f"{base_url}/account/2fa/authenticate/")
        code_form = page.locator("form:has(input[name=code])")
        code_form.locator("input[name=code]").fill(
            format_hotp_value(hotp_value(DEMO_TOTP_SECRET, current_totp_counter()))
        )
        code_form.locator("button[type=submit]:not([form])").click()
    expect(page).to_have_url(f"{base_url}/")


def walk(
    browser, base_url: str, role: str, login=None, start=("/",), max_pages: int = 80, prepare_context=None
) -> Walk:
    """Visit up to ``max_pages`` pages reachable from ``start`` and record every problem.

    The next page is the one whose URL pattern was visited least so far
    (then the first found): forty applicant pages do not crowd out the
    calendar and the report before the page limit is reached.
    """
    origin = urlsplit(base_url)
    result = Walk(role)
    context = browser.new_context(
        viewport=DESKTOP, locale="nl-NL", timezone_id="Europe/Amsterdam", accept_downloads=False
    )
    context.set_default_timeout(15_000)
    context.add_init_script(CSP_RECORDER)
    if prepare_context:
        prepare_context(context)
    page = context.new_page()
    if login:
        login(page)

    current = {"path": "(login)", "navigating": False}
    console_csp = defaultdict(list)

    def on_console(message):
        if message.type != "error":
            return
        text = message.text
        if "Content Security Policy" in text:
            console_csp[current["path"]].append(text)
        elif not text.startswith("Failed to load resource"):  # reported as a failed request, with its URL
            result.add("console error", current["path"], text[:300])

    def on_request(request):
        url = urlsplit(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.netloc != origin.netloc:
            result.add("request to another host", current["path"], request.url)

    def on_request_failed(request):
        # Leaving a page cancels what it still loads: not a failure of that page.
        if current["navigating"] and "ERR_ABORTED" in (request.failure or ""):
            return
        result.add("failed request", current["path"], f"{request.method} {request.url}: {request.failure}")

    def on_response(response):
        request = response.request
        if response.status >= 400 and not (request.is_navigation_request() and request.frame == page.main_frame):
            result.add("failed request", current["path"], f"{request.method} {response.url}: HTTP {response.status}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: result.add("script error", current["path"], str(error)[:300]))
    page.on("request", on_request)
    page.on("requestfailed", on_request_failed)
    page.on("response", on_response)

    queued = set(start)
    route_visits = defaultdict(int)
    heap = [(0, order, path) for order, path in enumerate(start)]
    order = len(heap)
    while heap and len(result.visited) < max_pages:
        _, _, path = heapq.heappop(heap)
        route = route_of(path.split("?")[0])
        if route_visits[route] > 0 and heap and heap[0][0] < route_visits[route]:
            # Others of this pattern were visited meanwhile: queue it behind the less visited ones.
            heapq.heappush(heap, (route_visits[route], order, path))
            order += 1
            continue
        route_visits[route] += 1
        current.update(path=path, navigating=True)
        try:
            response = page.goto(base_url + path, wait_until="load")
        except PlaywrightError as error:
            result.add("navigation failed", path, str(error).splitlines()[0])
            continue
        finally:
            current["navigating"] = False
        result.visited.append(path)
        landed = urlsplit(page.url)
        # A link that redirects (e.g. to a form's page) has been seen under its own address too.
        queued.add(landed.path + (f"?{landed.query}" if landed.query else ""))
        if response is None:
            continue
        if response.status >= 400:
            kind = "server error" if response.status >= 500 else "broken link"
            result.add(kind, path, f"HTTP {response.status}")
        if login and landed.path == "/account/login/":
            result.add("sent to the login page", path, f"landed on {page.url}")
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        csp_problem = check_csp_header(response.headers.get("content-security-policy"))
        if csp_problem:
            result.add("Content-Security-Policy header", path, csp_problem)

        check_page(page, result, path)

        for href in page.evaluate(LINKS):
            url = urlsplit(href)
            if url.scheme not in ("http", "https") or url.netloc != origin.netloc:
                continue
            target = url.path + (f"?{url.query}" if url.query else "")
            if target in queued or SKIP.search(url.path):
                continue
            queued.add(target)
            heapq.heappush(heap, (route_visits[route_of(url.path)], order, target))
            order += 1

    result.left = [path for _, _, path in heap]
    for path, messages in console_csp.items():
        for text in messages if path not in result.csp_pages else ():
            result.add("CSP violation (console)", path, text[:300])
    context.close()
    return result


def check_csp_header(header: str | None) -> str:
    """What is wrong with a page's policy, if anything: without one, "no violations" proves nothing."""
    if not header:
        return "missing: the page is sent without a Content-Security-Policy"
    directives = {}
    for part in header.split(";"):
        if part.split():
            name, *values = part.split()
            directives.setdefault(name.lower(), values)
    scripts = directives.get("script-src", directives.get("default-src"))
    if scripts is None:
        return "neither script-src nor default-src: scripts from anywhere may run"
    loose = [value for value in scripts if value in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:")]
    if loose:
        return f"script sources allow {' '.join(loose)}"
    return ""


def check_page(page, result: Walk, path: str) -> None:
    violations = page.evaluate("window.__cspViolations")
    if violations is None:
        result.add("walk itself", path, "the CSP violation recorder did not run: CSP violations are not checked")
    for violation in violations or []:
        result.add("CSP violation", path, violation)
        result.csp_pages.add(path)

    page.evaluate(AXE_SOURCE)
    for violation in page.evaluate(AXE_RUN, AXE_OPTIONS):
        if violation["impact"] in BLOCKING_IMPACTS:
            targets = ", ".join(violation["targets"][:4]) + (" …" if len(violation["targets"]) > 4 else "")
            result.add(
                "axe (serious/critical WCAG 2 A/AA)",
                path,
                f"{violation['id']} [{violation['impact']}] {violation['help']}: {targets}"
                f"\n    (first: {violation['why']})",
            )

    page.set_viewport_size(PHONE)
    try:
        overflow = page.evaluate(OVERFLOW, PHONE["width"])
    finally:
        page.set_viewport_size(DESKTOP)
    if overflow["scrollWidth"] > PHONE["width"]:
        result.add(
            "wider than 360 px (sideways scroll)",
            path,
            f"{overflow['scrollWidth']} px wide; sticking out: {', '.join(overflow['offenders']) or '?'}",
        )
