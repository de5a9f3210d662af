"""Screenshots of sections of a run's report.html, for reports/examples/ (headless Chromium, offline).

    python scripts/report_screenshots.py OUT [--to reports/examples] [--section topics:report-topics.png ...]

OUT is the --out folder of a run (e.g. ``make demo`` writes reports/sample).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the DevTools driver the browser tests use

from browser_helpers import chromium_page  # noqa: E402

DEFAULT = ["topics:report-topics.png", "miaou:report-miaou.png"]
RECT_JS = """(() => { const r = document.getElementById(%r).getBoundingClientRect();
    return {x: Math.floor(r.left + scrollX), y: Math.floor(r.top + scrollY),
            width: Math.ceil(r.width), height: Math.ceil(r.height)}; })()"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="a run's output folder (holds report.html)")
    ap.add_argument("--to", type=Path, default=ROOT / "reports" / "examples")
    ap.add_argument("--section", action="append", help="SECTION_ID:FILE.png (default: topics and MIAOU)")
    args = ap.parse_args(argv)
    report = args.out / "report.html"
    if not report.is_file():
        print(f"error: {report} not found (run narratif first)", file=sys.stderr)
        return 2
    args.to.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile, chromium_page(Path(profile), height=1000) as page:
        page.open(report.resolve().as_uri(), settle=3.0)  # plotly draws after load
        for spec in args.section or DEFAULT:
            section, _, name = spec.partition(":")
            clip = page.js(RECT_JS % section)
            png = page.screenshot(args.to / name, clip=clip)
            print(f"{args.to / name}: {clip['width']}×{clip['height']} px, {len(png)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
