"""Accessibility and layout checks any browser test can call on the page it is on.

    from tests.e2e.a11y import a11y_page, check_page

    context, page = a11y_page(browser, 390, errors)      # bypass_csp=True, fr-FR, Europe/Paris
    try:
        page.goto(live_url + "/texte/")
        check_page(page, "texte-390")                     # axe + no overflow + screenshot
    finally:
        context.close()

- ``check_accessible(page, name)``: injects axe-core (``node_modules/axe-core/axe.min.js``, from the
  npm registry, pinned in package.json) and runs it with the WCAG 2.0/2.1 A and AA rules; fails
  with one readable line per violation (rule, impact, help, the elements' selectors).
- ``assert_no_horizontal_overflow(page)``: nothing makes the page wider than its viewport, and
  names the widest culprits when something does.
- ``check_page(page, name)``: both, plus ``screenshot(page, name)`` (``test-artifacts/``).

The site's Content-Security-Policy refuses the inline script that ``add_script_tag`` writes, so
the page must live in a context created with ``bypass_csp=True``: ``a11y_context`` and
``a11y_page`` make one (ECOSYSTEM.md, trap 5). Such a context no longer reports CSP violations:
keep at least one CSP-enforcing test per page elsewhere (``conftest.page``).

Without ``npm ci`` (no ``node_modules/axe-core``), these checks skip with the reason locally and
fail under CI.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, screenshot

AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_LOCALE = ROOT / "node_modules" / "axe-core" / "locales" / "fr.json"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
PHONE_HEIGHT = 844
DESKTOP_HEIGHT = 800


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def axe_path() -> Path:
    """The axe-core script, or a skip (locally) / failure (CI) that says how to get it."""
    if not AXE_PATH.is_file():
        reason = f"axe-core is not installed ({AXE_PATH.relative_to(ROOT)} is missing): run `npm ci`"
        if _in_ci():
            pytest.fail(f"{reason} — CI must run the accessibility checks.", pytrace=False)
        pytest.skip(reason)
    return AXE_PATH


def a11y_context(browser, width: int, height: int | None = None, errors: list[str] | None = None):
    """A French browser context where axe can be injected (``bypass_csp=True``).

    ``errors``, if given, collects the console errors and uncaught exceptions of its pages.
    """
    axe_path()  # skip or fail before any browser work
    if height is None:
        height = PHONE_HEIGHT if width < 576 else DESKTOP_HEIGHT
    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale="fr-FR",
        timezone_id="Europe/Paris",
        bypass_csp=True,
    )
    context.set_default_timeout(15_000)
    if errors is not None:
        context.on(
            "console",
            lambda msg: (
                errors.append(f"{msg.page.url if msg.page else ''}: {msg.text}") if msg.type == "error" else None
            ),
        )
        context.on("weberror", lambda error: errors.append(f"pageerror: {error.error}"))
    return context


def a11y_page(browser, width: int, errors: list[str] | None = None, height: int | None = None):
    """``(context, page)``: a new page in an ``a11y_context``; close the context when done."""
    context = a11y_context(browser, width, height, errors)
    return context, context.new_page()


def _inject(page) -> None:
    if page.evaluate("typeof window.axe === 'undefined'"):
        try:
            page.add_script_tag(path=str(axe_path()))
        except Exception as error:  # the CSP refused the inline script
            raise AssertionError(
                "axe-core could not be injected into the page: create its context with "
                f"bypass_csp=True (tests.e2e.a11y.a11y_context). Playwright said: {error}"
            ) from error
        if AXE_LOCALE.is_file():
            page.evaluate("locale => axe.configure({locale})", _read_locale())


_LOCALE_CACHE: dict[str, object] = {}


def _read_locale():
    if "fr" not in _LOCALE_CACHE:
        _LOCALE_CACHE["fr"] = json.loads(AXE_LOCALE.read_text(encoding="utf-8"))
    return _LOCALE_CACHE["fr"]


def axe_violations(page, *, exclude: tuple[str, ...] = ()) -> list[dict]:
    """Run axe on the page (WCAG 2.0/2.1, A and AA) and return its violations."""
    _inject(page)
    return page.evaluate(
        """async ([tags, exclude]) => {
            const context = exclude.length ? {include: [document], exclude: exclude.map(s => [s])} : document;
            const result = await axe.run(context, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target.map(t => Array.isArray(t) ? t.join(' >>> ') : t),
                                          summary: n.failureSummary || '', html: n.html}))
            }));
        }""",
        [list(WCAG_TAGS), list(exclude)],
    )


def format_violations(violations: list[dict], limit_nodes: int = 6) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:limit_nodes]:
            summary = " ".join(node["summary"].split())[:300]
            lines.append(f"    {', '.join(node['target'])}  — {summary}")
        if len(violation["nodes"]) > limit_nodes:
            lines.append(f"    … and {len(violation['nodes']) - limit_nodes} more element(s)")
    return "\n".join(lines)


def check_accessible(page, name: str = "", *, exclude: tuple[str, ...] = ()) -> None:
    """Fail if axe-core finds any WCAG 2.1 A/AA violation on the page as it is now."""
    violations = axe_violations(page, exclude=exclude)
    if violations:
        where = f"{name} ({page.url})" if name else page.url
        raise AssertionError(
            f"axe-core: {len(violations)} WCAG 2.1 A/AA violation(s) on {where}:\n" + format_violations(violations)
        )


def assert_no_horizontal_overflow(page, name: str = "") -> None:
    """Fail if the page is wider than its viewport, naming the elements that stick out."""
    page.wait_for_load_state("load")  # measure once the stylesheets apply
    width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width <= viewport:
        return
    culprits = page.evaluate(
        """(viewport) => {
            const out = [];
            for (const el of document.body.querySelectorAll('*')) {
                const box = el.getBoundingClientRect();
                if (box.width && box.right > viewport + 0.5) {
                    const id = el.id ? '#' + el.id : '';
                    const cls = typeof el.className === 'string' && el.className.trim()
                        ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
                    out.push(`${el.tagName.toLowerCase()}${id}${cls} (right edge ${Math.round(box.right)} px)`);
                }
            }
            return out.slice(0, 8);
        }""",
        viewport,
    )
    where = f"{name} ({page.url})" if name else page.url
    raise AssertionError(
        f"{where} is {width} px wide on a {viewport} px screen; sticking out:\n  " + "\n  ".join(culprits)
    )


def check_page(page, name: str, *, exclude: tuple[str, ...] = ()) -> Path:
    """Screenshot the page (``test-artifacts/<name>-<engine>.png``), then axe and the overflow check."""
    path = screenshot(page, name)
    assert_no_horizontal_overflow(page, name)
    check_accessible(page, name, exclude=exclude)
    return path
