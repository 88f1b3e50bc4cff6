"""Constant-size responses for the ballot flow: the size of a page must not tell what was chosen.

Over HTTPS an observer (or an access log) still sees the size of each response. The
confirmation page repeats the voter's answers and the ballot page comes back with them when
one is refused, so their sizes would differ by the labels chosen (« Pour » is shorter than
« Abstention »). Every response of the ballot flow is therefore padded, with an HTML comment
after the document, to ONE size per poll: ``ballot_flow_size(poll)``, computed from the poll's
texts alone (never from the answers) and large enough for its largest page.

Usage, on the views of the ballot flow (the poll page with the ballot form, the confirmation,
the receipt, the verification page), under the route and the other decorators::

    @bp.post("/<int:poll_id>/bulletin")
    @login_required
    @with_convention
    @constant_size
    def ballot(convention, poll_id): ...

or, on a response built by hand, ``pad_response(response, ballot_flow_size(poll))``.

Padded responses carry ``Cache-Control: no-store, no-transform``: a proxy must not compress them (a
compressed size depends on the content again). Nothing in the application compresses
responses; the reverse proxy must leave ``/vote/`` uncompressed (nginx: ``gzip off;`` in that
location).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import current_app, g, request
from werkzeug.wrappers import Response

from convention.core.db import db
from convention.domain.polls import PollState, QuestionMethod
from convention.votes.models import Poll

logger = logging.getLogger(__name__)

QUANTUM = 4096  # sizes are multiples of this
# The page around the ballot: header, navigation, account, flashed messages, footer, the poll's facts
# and the sections of the other modules (the roll, the paper vote), the form's fixed parts. (About
# 8 KiB in November 2026 for a member; a page larger than its size is padded to the next QUANTUM
# and logged, see ``pad_response``.)
BASE_BYTES = 16 * 1024
# Per question and per option, the markup of their fields, their summary and their hidden fields.
QUESTION_BYTES = 2 * 1024
OPTION_BYTES = {
    QuestionMethod.YES_NO_ABSTAIN: 768,
    QuestionMethod.SINGLE: 768,
    QuestionMethod.APPROVAL: 768,
    QuestionMethod.MAJORITY_JUDGMENT: 3 * 1024,  # one radio button per grade, and the grade in the summary
    QuestionMethod.SCHULZE: 1024,  # plus RANK_BYTES per option: each option's list offers every rank
}
RANK_BYTES = 64
# A text shown on the page is escaped (up to 6 bytes for one) and may appear several times (title,
# breadcrumb, legend, summary): each byte of the poll's texts counts this much.
TEXT_FACTOR = 6
MIN_COMMENT = len("<!---->")
_PADDING_HEAD = b"\n<!-- "
_PADDING_TAIL = b" -->\n"


def _bytes(text: str | None) -> int:
    return len((text or "").encode())


def ballot_flow_size(poll: Poll) -> int:
    """The size (bytes) of every padded response of ``poll``'s ballot flow: from its texts only."""
    total = BASE_BYTES + TEXT_FACTOR * (_bytes(poll.title) + _bytes(poll.question) + _bytes(poll.description))
    for question in poll.questions:
        total += QUESTION_BYTES + TEXT_FACTOR * (_bytes(question.title) + _bytes(question.description))
        per_option = OPTION_BYTES.get(question.method, 4 * 1024)
        if question.method == QuestionMethod.SCHULZE:
            per_option += RANK_BYTES * len(question.options)
        for option in question.options:
            total += per_option + TEXT_FACTOR * (_bytes(option.label) + _bytes(option.description))
    return -(-total // QUANTUM) * QUANTUM


def pad_response(response: Response, size: int, *, warn: bool = True) -> Response:
    """Pad an HTML response's body to ``size`` bytes with a comment; set Content-Length, no-store, no-transform.

    Redirects, streamed and non-HTML responses are left alone (their size does not depend on a
    choice). A body already larger than ``size`` is padded to the next multiple of ``QUANTUM``,
    with a warning if ``warn``: ``ballot_flow_size`` should then be raised.
    """
    if response.is_streamed or response.direct_passthrough or 300 <= response.status_code < 400:
        return response
    if response.mimetype != "text/html":
        return response
    if response.headers.get("Content-Encoding"):
        logger.warning("Not padding an already encoded response of %s", request.path if request else "?")
        return response
    body = response.get_data()
    target = size
    if len(body) + MIN_COMMENT > target:
        target = -(-(len(body) + MIN_COMMENT) // QUANTUM) * QUANTUM
        if warn:
            logger.warning(
                "Ballot flow page of %d bytes above its padded size %d: padded to %d (raise ballot_flow_size)",
                len(body),
                size,
                target,
            )
    room = target - len(body) - len(_PADDING_HEAD) - len(_PADDING_TAIL)
    if room >= 0:
        body += _PADDING_HEAD + b"." * room + _PADDING_TAIL
    else:  # a few bytes only: the shortest comment, filled
        body += b"<!--" + b"." * (target - len(body) - MIN_COMMENT) + b"-->"
    response.set_data(body)  # sets Content-Length
    response.headers["Content-Length"] = str(len(body))
    response.cache_control.no_store = True  # these pages are never cached (the app's default would be set anyway)
    response.cache_control.no_transform = True
    return response


def constant_size(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a view of the ballot flow (it takes ``poll_id``): its HTML responses all have the poll's size."""

    @functools.wraps(view)
    def padded(*args: Any, **kwargs: Any) -> Response:
        response = current_app.make_response(view(*args, **kwargs))
        # The view leaves the poll's frozen copy in ``g`` (convention/votes/cache.py): its size is
        # computed once per process for an open poll, and nothing is read again after a commit.
        frozen = g.get("ballot_flow")
        poll_id = kwargs.get("poll_id")
        if frozen is not None and frozen.id == poll_id:
            state = g.get("ballot_flow_state")
            return pad_response(response, frozen.size, warn=state in (None, PollState.OPEN))
        poll = db.session.get(Poll, poll_id) if isinstance(poll_id, int) else None
        if poll is None:
            return response
        # Once the vote is over the poll page grows with the results: no warning for those.
        return pad_response(response, ballot_flow_size(poll), warn=poll.state == PollState.OPEN)

    return padded
