"""Browser test of the built site: headless Chromium opens every page of
``_build/html`` (served from 127.0.0.1) over the DevTools protocol and checks that
the math rendered (no raw TeX left), every image loaded, the console shows no
errors and no request leaves the site. Each page is then laid out at a phone's width
(390 px): no content may reach past the page's right edge unless a block that scrolls
holds it. A screenshot of each page is saved to ``_build/screenshots/``.

Both editions are covered: the Chinese site (``_build/html/zh_CN``) must be ``lang="zh-CN"``,
render its Han characters with a CJK font, keep no space between two Han characters, find
Chinese words in its search, and show the same glued values and the same equation and figure
numbers as the English page; every page of both links to itself in the other edition.

Where Chromium is missing the test says so and skips; under CI (``CI=true``) it
must run, so a missing browser or site fails it.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
IN_CI = os.environ.get("CI", "").lower() == "true"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser() -> str | None:
    return next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)


ZH = SITE / "zh_CN"


def pages() -> list[Path]:
    found = sorted(SITE.glob("book/*.html")) + sorted(ZH.glob("book/*.html"))
    return [p for p in found if p.name not in {"genindex.html", "search.html"}]


def key(page: Path) -> str:
    """'book/02_hidden_state.html' or 'zh_CN/book/02_hidden_state.html'."""
    return page.relative_to(SITE).as_posix()


def require(condition: bool, reason: str) -> None:
    if not condition:
        if IN_CI:
            pytest.fail(reason + " (required under CI=true)")
        pytest.skip(reason)


# JavaScript run in each page once it has loaded.
CHECK_JS = r"""
(async () => {
  const wait = (ms) => new Promise(r => setTimeout(r, ms));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await Promise.race([MathJax.startup.promise, wait(15000)]);
  }
  const imgs = [...document.images];
  imgs.forEach(i => { i.loading = 'eager'; });
  await Promise.race([
    Promise.all(imgs.map(i => i.complete ? 0 : new Promise(r => { i.onload = i.onerror = r; }))),
    wait(15000)]);
  const body = document.querySelector('main') || document.body;
  const clone = body.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, mjx-container, .highlight, textarea')
       .forEach(e => e.remove());
  const text = clone.innerText;
  // a line break or space between two Han characters inside one paragraph shows as a gap
  const prose = body.cloneNode(true);
  prose.querySelectorAll('pre, code, script, style, mjx-container, .math, .pasted-text, a, .highlight')
       .forEach(e => e.replaceWith('X'));
  const spacedHan = [...prose.querySelectorAll('p, li, figcaption, dt, dd, td, th, h1, h2, h3, h4')]
       .flatMap(e => e.textContent.match(/[\u3400-\u9fff][ \t\n]+[\u3400-\u9fff]/g) || []);
  // prose elements with English words and no Han character (on a Chinese page: untranslated)
  const words = body.cloneNode(true);
  words.querySelectorAll('.cell_output, .highlight, pre, script, style, .math, mjx-container')
       .forEach(e => e.remove());
  words.querySelectorAll('dl.py, .citation-list, .citation, nav').forEach(e => e.remove());  // references stay as cited
  words.querySelectorAll('code, .pasted-text, a').forEach(e => e.replaceWith('X'));
  const englishOnly = [...words.querySelectorAll('p, li, h1, h2, h3, h4, figcaption, td, th, dt')]
       .map(e => e.textContent.replace(/\s+/g, ' ').trim())
       .filter(t => !/[\u3400-\u9fff]/.test(t) && (t.match(/[A-Za-z]{3,}/g) || []).length >= 3);
  const sw = document.querySelector('a.book-language-switch');
  let switchStatus = null;
  if (sw) {
    try { switchStatus = (await fetch(sw.href, {method: 'HEAD'})).status; }
    catch (e) { switchStatus = String(e); }
  }
  // Han characters of the title drawn with the page's font: a missing font draws each one as
  // the same empty box as an unassigned code point (tofu)
  const h1 = [...document.querySelectorAll('main h1, main h2, main p')]
      .find(e => /[\u3400-\u9fff]/.test(e.textContent));
  const titleHan = h1 ? [...(h1.textContent.match(/[\u3400-\u9fff]/g) || [])].slice(0, 6) : [];
  let tofu = [];
  let titleFont = '';
  if (h1 && titleHan.length) {
    titleFont = getComputedStyle(h1).fontFamily;
    const cv = document.createElement('canvas');
    cv.width = 48; cv.height = 48;
    const g = cv.getContext('2d');
    g.font = `32px ${titleFont}`;
    g.textBaseline = 'top';
    const pixels = (t) => {
      g.clearRect(0, 0, 48, 48);
      g.fillText(t, 4, 4);
      return g.getImageData(0, 0, 48, 48).data.join(',');
    };
    const box = pixels('\u{10FFFD}');
    const blank = (g.clearRect(0, 0, 48, 48), g.getImageData(0, 0, 48, 48).data.join(','));
    tofu = titleHan.filter(ch => { const p = pixels(ch); return p === box || p === blank; });
  }
  const rawTex = text.match(/\\(begin|end|frac|mathbf|mathrm|sum|prod|left|right|tanh|odot)\b|\$\$|\\\(|\\\[/g) || [];
  const mathNodes = [...document.querySelectorAll('.math')];
  return {
    title: document.title,
    math: mathNodes.length,
    mathRendered: mathNodes.filter(m => m.querySelector('mjx-container')).length,
    mjx: document.querySelectorAll('mjx-container').length,
    mathjaxLoaded: !!(window.MathJax && MathJax.version),
    rawTex: rawTex.slice(0, 5),
    images: imgs.length,
    brokenImages: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src),
    height: Math.min(document.documentElement.scrollHeight, 6000),
    lang: document.documentElement.lang,
    titleHan: titleHan.length,
    navCaptions: [...document.querySelectorAll('nav.bd-docs-nav p.caption')].map(e => e.textContent.trim()),
    admonitions: [...document.querySelectorAll('main p.admonition-title')].map(e => e.textContent.trim()),
    alts: imgs.map(i => i.alt || ''),
    tofu: tofu,
    titleFont: titleFont,
    hanChars: (text.match(/[\u3400-\u9fff]/g) || []).length,
    spacedHan: spacedHan.slice(0, 5),
    englishOnly: englishOnly.slice(0, 5),
    switchHref: sw ? sw.getAttribute('href') : null,
    switchStatus: switchStatus,
    pasted: [...document.querySelectorAll('main .pasted-text')].map(e => e.textContent.trim()),
    eqnos: [...document.querySelectorAll('main span.eqno')].map(e => e.textContent.trim()),
    fignos: [...document.querySelectorAll('main figure .caption-number')]
              .map(e => (e.textContent.match(/[0-9.]+[0-9]/) || [''])[0]),
  };
})()
"""

PHONE_WIDTH = 390

# JavaScript run at the phone's width: elements that reach past the viewport's right edge
# and are not held by a horizontally scrolling ancestor that itself fits.
NARROW_JS = r"""
(() => {
  const limit = window.innerWidth + 1;
  const scrolls = (e) => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX);
  const held = (e) => {
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (scrolls(a) && a.getBoundingClientRect().right <= limit) return true;
    }
    return false;
  };
  const hidden = (e) => {
    if (e.closest('mjx-assistive-mml')) return true;  // MathJax's clipped copy for screen readers
    for (let a = e; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.display === 'none' || s.visibility === 'hidden' || s.position === 'fixed') return true;
    }
    return false;
  };
  // the chapter's own content: the theme's article (its sidebars slide in off-canvas)
  const article = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
  const wide = [];
  for (const e of article.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.right <= limit || hidden(e)) continue;
    if (scrolls(e) && r.right <= limit) continue;
    if (held(e)) continue;
    const label = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                  (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ')[0] : '');
    wide.push(label + ' right=' + Math.round(r.right));
  }
  return {width: window.innerWidth, wide: wide.slice(0, 5), count: wide.length};
})()
"""


class DevTools:
    """Minimal Chrome DevTools Protocol client over tornado's websocket."""

    def __init__(self, ws: Any) -> None:
        self.ws, self.next_id, self.events = ws, 0, []

    async def call(self, method: str, timeout: float = 60, **params: Any) -> dict:
        self.next_id += 1
        msg_id = self.next_id
        await self.ws.write_message(json.dumps({"id": msg_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            raw = await asyncio.wait_for(self.ws.read_message(), deadline - time.monotonic())
            if raw is None:
                raise RuntimeError("DevTools connection closed")
            msg = json.loads(raw)
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)
        raise TimeoutError(method)

    async def wait_event(self, name: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == name for e in self.events):
            raw = await asyncio.wait_for(self.ws.read_message(), deadline - time.monotonic())
            if raw is None:
                raise RuntimeError("DevTools connection closed")
            self.events.append(json.loads(raw))


def problems_in_events(events: list[dict], origin: str) -> list[str]:
    """Console errors, exceptions, failed loads and requests leaving ``origin``."""
    found = []
    for e in events:
        method, p = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            args = p.get("args", [])
            found.append("console error: " + " ".join(str(a.get("value", a.get("description"))) for a in args))
        elif method == "Runtime.exceptionThrown":
            details = p["exceptionDetails"]
            found.append("exception: " + details.get("text", "") + " "
                         + str(details.get("exception", {}).get("description", "")))
        elif method == "Log.entryAdded" and p["entry"]["level"] == "error":
            found.append("log error: " + p["entry"].get("text", "") + " " + p["entry"].get("url", ""))
        elif method == "Network.requestWillBeSent":
            url = p["request"]["url"]
            if not url.startswith((origin, "data:", "blob:", "about:")):
                found.append("third-party request: " + url)
        elif method == "Network.loadingFailed" and not p.get("canceled"):
            found.append("failed load: " + p.get("errorText", ""))
    return found


SEARCHES = (("en", "", "hidden state"), ("zh_CN", "zh_CN/", "隐状态"))

SEARCH_JS = r"""
(async () => {
  for (let i = 0; i < 100; i++) {
    // the summary line appears once the last result is listed
    const done = document.querySelector('#search-results p.search-summary');
    if (done && done.textContent.trim()) {
      return [...document.querySelectorAll('#search-results li a')].map(a => a.getAttribute('href'));
    }
    await new Promise(r => setTimeout(r, 200));
  }
  return null;
})()
"""


async def search(cdp: DevTools, url: str, word: str) -> list[str] | None:
    """The result links the site's own search gives for `word` (None: no answer in 20 s)."""
    cdp.events.clear()
    await cdp.call("Page.navigate", url=f"{url}?q={urllib.parse.quote(word)}")
    await cdp.wait_event("Page.loadEventFired")
    res = await cdp.call("Runtime.evaluate", expression=SEARCH_JS, awaitPromise=True, returnByValue=True)
    return res["result"].get("value")


def shot_path(page: Path) -> Path:
    return SHOTS / (key(page).removesuffix(".html").replace("/", "-") + ".png")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@functools.cache
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def check_site(browser: str, targets: list[Path]) -> dict[str, dict]:
    from tornado.websocket import websocket_connect

    handler = functools.partial(QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    port = free_port()
    profile = tempfile.mkdtemp(prefix="rnn-book-chromium-")
    proc = subprocess.Popen(
        [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-dev-shm-usage", "--disable-extensions", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-default-browser-check",
         f"--remote-debugging-port={port}", "--remote-allow-origins=*",
         f"--user-data-dir={profile}", "--window-size=1280,900", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    results: dict[str, dict] = {}
    try:
        ws_url = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as r:
                    ws_url = next(t["webSocketDebuggerUrl"] for t in json.load(r) if t["type"] == "page")
                break
            except Exception:
                time.sleep(0.2)
        assert ws_url, "Chromium's DevTools endpoint did not come up"
        ws = await websocket_connect(ws_url, max_message_size=64 * 2**20)
        cdp = DevTools(ws)
        for domain in ("Page", "Runtime", "Log", "Network"):
            await cdp.call(f"{domain}.enable")
        SHOTS.mkdir(parents=True, exist_ok=True)
        for page in targets:
            cdp.events.clear()
            await cdp.call("Page.navigate", url=f"{origin}/{page.relative_to(SITE).as_posix()}")
            await cdp.wait_event("Page.loadEventFired")
            res = await cdp.call("Runtime.evaluate", expression=CHECK_JS, awaitPromise=True, returnByValue=True)
            info = res["result"]["value"]
            await asyncio.sleep(0.3)  # late console messages
            info["problems"] = problems_in_events(cdp.events, origin)
            await cdp.call("Emulation.setDeviceMetricsOverride", width=1280, height=info["height"],
                           deviceScaleFactor=1, mobile=False)
            shot = await cdp.call("Page.captureScreenshot", format="png")
            shot_path(page).write_bytes(base64.b64decode(shot["data"]))
            await cdp.call("Emulation.setDeviceMetricsOverride", width=PHONE_WIDTH, height=800,
                           deviceScaleFactor=1, mobile=True)
            await asyncio.sleep(0.3)  # relayout
            narrow = await cdp.call("Runtime.evaluate", expression=NARROW_JS, returnByValue=True)
            info["narrow"] = narrow["result"]["value"]
            await cdp.call("Emulation.clearDeviceMetricsOverride")
            results[key(page)] = info
        results["search"] = {lang: await search(cdp, f"{origin}/{prefix}search.html", word)
                             for lang, prefix, word in SEARCHES}
        ws.close()
    finally:
        proc.kill()
        proc.wait()
        server.shutdown()
        shutil.rmtree(profile, ignore_errors=True)
    return results


@pytest.fixture(scope="module")
def site_results() -> dict[str, dict]:
    browser = find_browser()
    require(browser is not None, "Chromium is not installed (apt-get install chromium)")
    require(bool(pages()), f"no built site in {SITE}: run `make book` first")
    return asyncio.run(check_site(browser, pages()))


def test_every_page_renders_math_images_and_no_errors(site_results: dict[str, dict]) -> None:
    assert len(site_results) == len(pages()) + 1  # and the searches
    bad = {}
    for name, info in site_results.items():
        if name == "search":
            continue
        issues = list(info["problems"])
        if info["math"] and not info["mathjaxLoaded"]:
            issues.append("MathJax did not load")
        if info["mathRendered"] != info["math"]:
            issues.append(f"{info['math'] - info['mathRendered']} of {info['math']} math blocks not rendered")
        if info["rawTex"]:
            issues.append(f"raw TeX left in the page: {info['rawTex']}")
        if info["brokenImages"]:
            issues.append(f"images not loaded: {info['brokenImages']}")
        narrow = info["narrow"]
        if narrow["width"] != PHONE_WIDTH:
            issues.append(f"phone-width layout ran at {narrow['width']} px, expected {PHONE_WIDTH}")
        if narrow["count"]:
            issues.append(f"{narrow['count']} elements wider than a {PHONE_WIDTH} px page: {narrow['wide']}")
        if issues:
            bad[name] = issues
    assert not bad, json.dumps(bad, indent=1)
    assert sum(info["mjx"] for n, info in site_results.items() if n != "search") > 0, "no rendered math"
    assert all(shot_path(p).stat().st_size > 10_000 for p in pages())


def cjk_fonts() -> set[str]:
    """Families fontconfig says can draw Chinese (empty where fontconfig is missing)."""
    fc = shutil.which("fc-list")
    if not fc:
        return set()
    out = subprocess.run([fc, ":lang=zh", "family"], capture_output=True, text=True).stdout
    return {name.strip() for line in out.splitlines() for name in line.split(",") if name.strip()}


def test_both_editions_link_to_each_other(site_results: dict[str, dict]) -> None:
    bad = {}
    for name, info in site_results.items():
        if name == "search":
            continue
        chinese = name.startswith("zh_CN/")
        other = name.removeprefix("zh_CN/") if chinese else "zh_CN/" + name
        target = (SITE / name).parent / (info["switchHref"] or "")
        if info["switchHref"] is None or target.resolve() != (SITE / other).resolve():
            bad[name] = f"language switch {info['switchHref']!r}, expected a link to {other}"
        elif info["switchStatus"] != 200:
            bad[name] = f"language switch answered {info['switchStatus']}"
        if info["lang"] != ("zh-CN" if chinese else "en"):
            bad[name] = f"<html lang={info['lang']!r}>"
    assert not bad, json.dumps(bad, indent=1, ensure_ascii=False)


def test_chinese_pages_read_as_chinese(site_results: dict[str, dict]) -> None:
    english = [n for n in site_results if n.startswith("book/")]
    chinese = [n for n in site_results if n.startswith("zh_CN/")]
    assert len(english) == len(chinese) == 15
    fonts = cjk_fonts()
    require(bool(fonts), "fontconfig lists no font for Chinese (apt-get install fonts-wqy-microhei)")
    bad = {}
    for name in chinese:
        info = site_results[name]
        issues = []
        if info["hanChars"] < 10:  # the bibliography is mostly its English references
            issues.append(f"only {info['hanChars']} Han characters: the page is not translated")
        # the API page's entries are the docstrings, in English in both editions; the
        # glossary's first column is English by design
        if info["englishOnly"] and not name.endswith(("api.html", "glossary.html")):
            issues.append(f"untranslated paragraphs: {info['englishOnly']}")
        if info["spacedHan"]:
            issues.append(f"space between Han characters: {info['spacedHan']}")
        english = site_results[name.removeprefix("zh_CN/")]
        untranslated = [t for t in info["navCaptions"] + info["admonitions"]
                        if not re.search("[\u3400-\u9fff]", t)]
        if untranslated:
            issues.append(f"part captions or exercise titles not in Chinese: {untranslated[:4]}")
        if len(info["alts"]) != len(english["alts"]):
            issues.append(f"{len(info['alts'])} images, the English page has {len(english['alts'])}")
        else:
            same = [zh for en, zh in zip(english["alts"], info["alts"], strict=True) if en and en == zh]
            if same:
                issues.append(f"alt texts not translated: {same[:2]}")
        if len(info["admonitions"]) != len(english["admonitions"]):
            issues.append(f"{len(info['admonitions'])} admonitions, the English page has "
                          f"{len(english['admonitions'])}")
        if not info["titleHan"]:
            issues.append("no heading or paragraph has Han characters: it is not translated")
        elif info["tofu"]:
            issues.append(f"no font draws {info['tofu']} (font-family {info['titleFont']})")
        if issues:
            bad[name] = issues
    assert not bad, json.dumps(bad, indent=1, ensure_ascii=False)
    # the probe for untranslated paragraphs does see English prose: on every English chapter
    assert all(site_results[n]["englishOnly"] for n in english if "/0" in n or "/1" in n)
    print(f"{len(chinese)} Chinese pages, Han characters drawn; CJK fonts installed: {sorted(fonts)}")


def test_both_editions_show_the_same_numbers(site_results: dict[str, dict]) -> None:
    """Glued values, equation numbers and figure numbers come from the same notebooks."""
    bad = {}
    for name in [n for n in site_results if n.startswith("book/")]:
        en, zh = site_results[name], site_results["zh_CN/" + name]
        for what in ("pasted", "eqnos", "fignos"):
            a, b = en[what], zh[what]
            if what == "pasted":
                a, b = sorted(a), sorted(b)  # a translation may reorder clauses
            if a != b:
                bad[f"{name} {what}"] = {"en": a, "zh": b}
    assert not bad, json.dumps(bad, indent=1, ensure_ascii=False)
    total = sum(len(site_results[n]["pasted"]) for n in site_results if n.startswith("book/"))
    print(f"{total} glued values, identical in both editions")
    assert total > 200


def test_search_finds_words_in_both_editions(site_results: dict[str, dict]) -> None:
    for lang, _, word in SEARCHES:
        hits = site_results["search"][lang]
        assert hits, f"the {lang} search found nothing for {word!r}"
        assert any("02_hidden_state" in h for h in hits), (word, hits)
        print(f"{lang}: {word!r} -> {len(hits)} pages")


def test_the_checker_sees_raw_tex_and_third_party_requests() -> None:
    """The event filter must be able to fail (no browser needed)."""
    origin = "http://127.0.0.1:8000"
    events = [
        {"method": "Network.requestWillBeSent", "params": {"request": {"url": "https://cdn.example.org/x.js"}}},
        {"method": "Network.requestWillBeSent", "params": {"request": {"url": origin + "/a.js"}}},
        {"method": "Runtime.consoleAPICalled", "params": {"type": "error", "args": [{"value": "boom"}]}},
        {"method": "Runtime.consoleAPICalled", "params": {"type": "log", "args": [{"value": "fine"}]}},
    ]
    found = problems_in_events(events, origin)
    assert found == ["third-party request: https://cdn.example.org/x.js", "console error: boom"]
