"""The Snakemake HTML report of the tiny run, opened in a real (headless) Chromium.

Checks: the figures are embedded byte for byte; the page renders (React filled the DOM with
the front page of workflow/report/workflow.rst, no uncaught JavaScript error, no docutils
error box); the Ising figure displays as an image. Screenshots stay in the test's tmp dir.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, TINY_CONFIG, run_snakemake

pytestmark = pytest.mark.slow

ENSURE_CHROMIUM = ROOT / "tests" / "browser" / "ensure_chromium.sh"
FIGURE = "results/ising/figures/observables.png"
CATEGORY = "Ising Monte Carlo"
CHROMIUM_TIMEOUT_S = 120
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
    # let the report's JavaScript (React, Vega) run before the screenshot / DOM dump
    "--virtual-time-budget=5000",
    # console messages (uncaught errors included) on stderr
    "--enable-logging=stderr",
    "--v=0",
)

# Appended to a copy of the report: open the Ising figure the way its "view" button does,
# then write the decoded image size into the title (0x0 if the browser could not decode it).
SHOW_FIGURE_JS = """
<script>
window.addEventListener("load", () => setTimeout(() => {
  app.showCategory(%(category)s);
  app.setView({content: "img", contentPath: results[%(path)s].data_uri, resultPath: %(path)s});
  setTimeout(() => {
    const img = document.querySelector("img[src^='data:image/png']");
    document.title = "figure:" + (img ? img.naturalWidth + "x" + img.naturalHeight : "none");
  }, 500);
}, 200));
</script>
"""


@pytest.fixture(scope="session")
def chromium() -> str:
    proc = subprocess.run([str(ENSURE_CHROMIUM)], capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or ["unknown reason"])[-1]
        print(f"\nSKIP browser check: {reason}")
        pytest.skip(reason)
    return proc.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def report_html(tiny_run, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    run_snakemake(tiny_run, "--report", out, "--configfile", TINY_CONFIG)
    assert out.is_file() and out.stat().st_size > 0
    return out


def embedded(html: str, name: str):
    """The JSON assigned to `var <name> = ...;` in one of the report's <script> blocks."""
    m = re.search(rf'<script id="{name}">\s*var {name} = (.*?);\s*</script>', html, re.S)
    assert m, f"report has no embedded '{name}'"
    return json.loads(m.group(1))


def open_in_chromium(chromium: str, page: Path, workdir: Path, screenshot: Path):
    """Screenshot and post-JavaScript DOM of `page`; returns (dom, console log)."""
    common = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={workdir / 'chromium-profile'}"]
    shot = subprocess.run(
        [*common, f"--screenshot={screenshot}", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=CHROMIUM_TIMEOUT_S,
    )
    assert shot.returncode == 0 and screenshot.is_file(), shot.stderr[-3000:]
    dom = subprocess.run(
        [*common, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=CHROMIUM_TIMEOUT_S,
    )
    assert dom.returncode == 0, dom.stderr[-3000:]
    return dom.stdout, shot.stderr + dom.stderr


def console_errors(log: str) -> list[str]:
    return [line for line in log.splitlines() if "CONSOLE" in line and "Uncaught" in line]


def visible_app_text(dom: str) -> str:
    """Text of the report's #app element, without scripts and styles."""
    app = dom[dom.index('id="app"') :]
    app = re.sub(r"<(script|style)\b.*?</\1>", " ", app, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", app))


def test_report_embeds_every_figure_byte_for_byte(tiny_run, report_html):
    html = report_html.read_text()
    results = embedded(html, "results")
    assert FIGURE in results, sorted(results)
    for path, entry in results.items():
        header, _, payload = entry["data_uri"].partition("base64,")
        assert header.startswith(f"data:{entry['mime_type']}"), header
        assert base64.b64decode(payload) == (tiny_run / path).read_bytes(), path
    categories = embedded(html, "categories")
    assert FIGURE in [p for sub in categories[CATEGORY].values() for p in sub]
    # docutils reports rst problems (bad captions, broken links) as boxes in the page
    assert "system-message" not in html, re.findall(r"System Message:[^<]*", html)[:5]


@pytest.mark.slow
def test_zipped_report_holds_the_page_and_every_figure(tiny_run, report_html, tmp_path):
    """`--report report.zip` (the docs' choice for many figures, as in the paper preset)."""
    out = tmp_path / "report.zip"
    run_snakemake(tiny_run, "--report", out, "--configfile", TINY_CONFIG)
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        assert any(n.endswith("/report.html") for n in names), names[:20]
        # the same figures as the single-page report, each stored as a file in the archive
        figures = set(embedded(report_html.read_text(), "results"))
        # stored as <report>/data/raw/<hash>/<file name>: find each figure by name and bytes
        for fig in figures:  # figures and tables (environment.tsv)
            content = (tiny_run / fig).read_bytes()
            same_name = [n for n in names if Path(n).name == Path(fig).name]
            assert any(zf.read(n) == content for n in same_name), (
                f"{fig} is not in the zipped report"
            )


def test_report_renders_front_page_in_chromium(chromium, report_html, tmp_path):
    dom, log = open_in_chromium(chromium, report_html, tmp_path, tmp_path / "report.png")
    assert console_errors(log) == []
    # React replaced the loading screen and rendered workflow/report/workflow.rst,
    # including the per-run list of experiments computed by its Jinja template.
    text = visible_app_text(dom)
    assert "How this report is organised" in text
    assert re.search(rf"{CATEGORY}\s*: 1 result\(s\)", text), text[:2000]
    assert "master seed 7" in text  # config value rendered from config/test.yaml
    assert not re.search(r"\bError\b", text), text[:2000]
    assert (tmp_path / "report.png").stat().st_size > 10_000  # not a blank page


def test_report_shows_the_ising_figure_in_chromium(chromium, report_html, tmp_path):
    page = tmp_path / "report_figure.html"
    js = SHOW_FIGURE_JS % {"category": json.dumps(CATEGORY), "path": json.dumps(FIGURE)}
    head, body_end, tail = report_html.read_text().rpartition("</body>")
    page.write_text(head + js + body_end + tail)
    dom, log = open_in_chromium(chromium, page, tmp_path, tmp_path / "figure.png")
    assert console_errors(log) == []
    size = re.search(r"<title>figure:(\d+)x(\d+)</title>", dom)
    assert size, re.search(r"<title>.*?</title>", dom)
    assert int(size.group(1)) > 100 and int(size.group(2)) > 100, size.group(0)
