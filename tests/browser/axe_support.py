"""axe-core, run inside real Chromium on a page the test has open.

The pages' CSP forbids scripts that are not ours, so the browser context that loads axe must
be created with ``bypass_csp=True``. axe-core walks open shadow roots (the widget's).
"""

from __future__ import annotations

from pathlib import Path

import axe_playwright_python
from playwright.sync_api import Page

AXE_JS = Path(axe_playwright_python.__file__).parent / "axe.min.js"


def serious_violations(page: Page, *, context: str = "document") -> list[str]:
    """Serious and critical axe-core violations on the page, one readable line each."""
    # Colours are measured as painted: wait for running animations (the panel fades in).
    page.evaluate("""() => {
      const roots = [document, ...[...document.querySelectorAll('*')]
        .map(el => el.shadowRoot).filter(Boolean)];
      return Promise.all(roots.flatMap(root => root.getAnimations()).map(a => a.finished));
    }""")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    results = page.evaluate(f"axe.run({context}, {{resultTypes: ['violations']}})")
    return [
        f"{v['id']} ({v['impact']}): " + "; ".join(n["html"][:120] for n in v["nodes"])
        for v in results["violations"] if v["impact"] in ("serious", "critical")
    ]
