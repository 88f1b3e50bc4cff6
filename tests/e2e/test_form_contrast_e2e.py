"""Radio buttons, checkboxes and fields are plainly visible (WCAG 1.4.11, 3:1 for interface components).

In Debian's Chromium at 1280 and 390 px, on the login page, on the poll page with the ballot (a
member on the roll), on the poll page of the Bureau national (its confirmation checkboxes) and on
the roll page: for every visible radio button, checkbox, text field and list, the test computes the
contrast of the control's border (unchecked, checked, focused) with the colour behind the control
and with the control's own fill, and of the focus ring with the colour behind it; each must be at
least 3:1. The roll page is also checked with axe and for horizontal overflow.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from convention.core.db import utcnow
from convention.domain.polls import RollChangeKind
from convention.extensions import db
from convention.votes import operations
from convention.votes.models import RollChange, RollEntry
from seed.demo import DEMO_PASSWORD
from tests.e2e.a11y import a11y_page, check_page
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e

MILITANT, BUREAU = "demo.militant@exemple.fr", "demo.bn@exemple.fr"
MINIMUM = 3.0
WIDTHS = (1280, 390)

# For each visible control: the colours that make it visible, as the browser computes them.
MEASURE = """
() => {
  const parse = (text) => {
    const m = text.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const parts = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return {r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1};
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a), a: 1,
  });
  // The colour behind an element: its ancestors' backgrounds, composited, over white.
  const behind = (el) => {
    const layers = [];
    for (let node = el.parentElement; node; node = node.parentElement) {
      const colour = parse(getComputedStyle(node).backgroundColor);
      if (colour && colour.a > 0) { layers.push(colour); if (colour.a >= 1) break; }
    }
    let result = {r: 255, g: 255, b: 255, a: 1};
    for (const layer of layers.reverse()) result = over(layer, result);
    return result;
  };
  const selector = 'input[type=radio], input[type=checkbox], .form-check-input, .form-control, .form-select';
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || getComputedStyle(el).visibility === 'hidden') continue;
    const style = getComputedStyle(el);
    const back = behind(el);
    const fill = parse(style.backgroundColor);
    out.push({
      what: `${el.tagName.toLowerCase()}[type=${el.type}]#${el.id || '?'}${el.checked ? ' (cochée)' : ''}`,
      border: over(parse(style.borderTopColor), back),
      borderWidth: parseFloat(style.borderTopWidth),
      fill: fill && fill.a > 0 ? over(fill, back) : back,
      back,
      focused: el.matches(':focus-visible'),
      outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0 ? over(parse(style.outlineColor), back) : null,
    });
  }
  return out;
}
"""


def luminance(colour: dict) -> float:
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour["r"]) + 0.7152 * channel(colour["g"]) + 0.0722 * channel(colour["b"])


def contrast(a: dict, b: dict) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def weak_controls(page) -> list[str]:
    """Every visible control whose border (or focus ring) has less than 3:1 with its surroundings."""
    problems = []
    controls = page.evaluate(MEASURE)
    assert controls, f"no form control on {page.url}"
    for control in controls:
        if control["borderWidth"] < 1:
            problems.append(f"{control['what']}: no border")
            continue
        for name, other in (("fond de la page", control["back"]), ("intérieur du contrôle", control["fill"])):
            ratio = contrast(control["border"], other)
            # A checked control is a filled shape: its fill against the page is what shows it.
            if name == "intérieur du contrôle" and "cochée" in control["what"]:
                ratio = max(ratio, contrast(control["fill"], control["back"]))
            if ratio < MINIMUM:
                problems.append(f"{control['what']}: bordure / {name} {ratio:.2f}:1")
        if control["focused"]:
            if control["outline"] is None or contrast(control["outline"], control["back"]) < MINIMUM:
                problems.append(f"{control['what']}: anneau de focus insuffisant")
    return problems


def states(page, selector: str) -> list[str]:
    """The problems of the page as it is, then with the first control of ``selector`` focused from the
    keyboard (:focus-visible), then checked from the keyboard (still focused)."""
    problems = weak_controls(page)
    first = page.locator(selector).first
    first.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # back on it from the keyboard
    assert page.evaluate("() => document.activeElement.matches(':focus-visible')"), "no keyboard focus"
    problems += weak_controls(page)
    if first.get_attribute("type") in ("radio", "checkbox"):
        page.keyboard.press("Space")
        assert first.is_checked()
        problems += weak_controls(page)
    return problems


@pytest.fixture()
def open_poll(seeded, app):
    from convention.conventions.models import Convention
    from convention.members.models import User

    with app.app_context():
        bureau = db.session.scalars(sa.select(User).where(User.email == BUREAU)).one()
        now = utcnow()
        poll = operations.create_poll(
            bureau,
            db.session.scalars(sa.select(Convention)).first(),
            operations.PollData(
                title="Contraste des bulletins (essai)",
                question="Approuvez-vous le texte de la convention ?",
                opens_at=now - dt.timedelta(hours=1),
                closes_at=now + dt.timedelta(days=1),
                roll_cutoff=dt.date.today(),
            ),
        )
        assert operations.open_poll(bureau, poll, now=now - dt.timedelta(minutes=5))
        # A change waiting for the Bureau national's decision: its form is on the roll page.
        militant = db.session.scalars(sa.select(User).where(User.email == MILITANT)).one()
        other = db.session.scalars(
            sa.select(RollEntry.member_id).where(
                RollEntry.poll_id == poll.id, RollEntry.member_id != militant.member_id
            )
        ).first()
        db.session.add(
            RollChange(
                poll_id=poll.id,
                member_id=other,
                kind=RollChangeKind.REMOVE,
                reason="Adhésion annulée avant la date arrêtée (essai).",
                requested_by_id=militant.id,
            )
        )
        db.session.commit()
        poll_id = poll.id
        db.session.remove()
    # Left in place: the module's seeded database is emptied after its last test.
    return poll_id


def _log_in(page, live_url: str, email: str) -> None:
    page.goto(live_url + "/compte/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/compte/")


@pytest.mark.parametrize("width", WIDTHS)
def test_controls_have_three_to_one_on_the_login_ballot_and_confirmation_pages(live_url, browser, open_poll, width):
    errors: list[str] = []
    context, page = a11y_page(browser, width, errors)
    problems: dict[str, list[str]] = {}
    try:
        page.goto(live_url + "/compte/connexion")
        problems["connexion"] = states(page, "input[type=checkbox]")
        screenshot(page, f"contraste-connexion-{width}")

        _log_in(page, live_url, MILITANT)
        page.goto(f"{live_url}/vote/{open_poll}")
        assert page.locator("form.ballot-form input[type=radio], fieldset input[type=radio]").count() >= 3
        problems["bulletin"] = states(page, "input[type=radio]")
        screenshot(page, f"contraste-bulletin-{width}")

        context.clear_cookies()
        _log_in(page, live_url, BUREAU)
        page.goto(f"{live_url}/vote/{open_poll}")
        assert page.locator("input[name=confirm][type=checkbox]").count() >= 1
        problems["confirmations"] = states(page, "input[name=confirm]")
        screenshot(page, f"contraste-confirmations-{width}")

        page.goto(f"{live_url}/vote/{open_poll}/liste-electorale")
        assert page.get_by_role("button", name="Approuver la modification").count() == 1
        problems["liste électorale"] = states(page, "input[type=radio]")
        check_page(page, f"liste-electorale-{width}")
    finally:
        context.close()
    failing = {name: found for name, found in problems.items() if found}
    assert not failing, "\n".join(f"{name}:\n  " + "\n  ".join(found) for name, found in failing.items())
    assert errors == []
