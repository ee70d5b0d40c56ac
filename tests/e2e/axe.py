"""axe-core in the e2e suite: the package comes from npm (frontend's devDependencies, put
in node_modules by scripts/install) and is injected into the page as text, so the test
asks nothing of the internet (the pages' request guard would fail it if it did)."""

from __future__ import annotations

from functools import cache
from typing import Any

from playwright.sync_api import Page

from tests.e2e.server import ROOT

AXE_JS = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"

# WCAG 2.1 levels A and AA. label-content-name-mismatch (2.5.3, level A) is still marked
# experimental in axe, so it is off unless named: the audit found it, keep it on.
# heading-order (axe files it under best practices) holds "headings in order" (1.3.1).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN = """async ({tags}) => {
  const result = await window.axe.run(document, {
    runOnly: {type: "tag", values: tags},
    rules: {"label-content-name-mismatch": {enabled: true}, "heading-order": {enabled: true}},
    resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 6).map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
    count: v.nodes.length,
  }));
}"""


@cache
def axe_source() -> str:
    if not AXE_JS.exists():
        raise RuntimeError(f"{AXE_JS} is missing: run scripts/install --test (npm ci in frontend/)")
    return AXE_JS.read_text()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe's WCAG 2.1 A/AA violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source())
    return list(page.evaluate(RUN, {"tags": TAGS}))


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}, {v['count']} node(s)): {v['help']}")
        for node in v["nodes"]:
            summary = " ".join(str(node["summary"] or "").split())
            lines.append(f"    {node['target']}: {summary[:300]}")
    return "\n".join(lines)


def assert_accessible(page: Page, where: str) -> None:
    """Fails listing every WCAG 2.1 A/AA violation axe finds on the page."""
    violations = axe_violations(page)
    assert not violations, f"{where}: axe found WCAG 2.1 A/AA violations:\n{describe(violations)}"
