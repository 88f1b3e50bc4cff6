"""The password policy: at least 12 characters, not a common password, and a strength hint.

The list of common passwords ships with the application (``data/common_passwords.txt``: the
10,000 most frequent of zxcvbn's list plus French and party-specific ones). A password is
refused when it is on the list, or is a listed one with digits or symbols around it
(« Motdepasse2025! »), written twice (« azertyazerty »), or a run of the keyboard or the
alphabet (« azertyuiopqs », « 123456789012 »).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
LIST_PATH = Path(__file__).with_name("data") / "common_passwords.txt"
SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "azertyuiopqsdfghjklmwxcvbn",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertzuiopasdfghjklyxcvbnm",
    "01234567890123456789",
)
_LEET = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", "$": "s", "5": "s", "7": "t"})
_EDGES = re.compile(r"^[^a-z]+|[^a-z]+$")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, lower-case."""
    lines = LIST_PATH.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _normalise(password: str) -> str:
    return unicodedata.normalize("NFKC", password).casefold().strip()


def _is_sequence(text: str) -> bool:
    if len(set(text)) <= 2:  # « aaaaaaaaaaaa », « abababababab »
        return True
    return any(text in seq or text in seq[::-1] for seq in SEQUENCES)


def _is_repetition(text: str) -> bool:
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return True
    return False


def is_common_password(password: str) -> bool:
    """True if ``password`` is a common one, or one thinly disguised."""
    listed = common_passwords()
    text = _normalise(password)
    compact = re.sub(r"\s+", "", text)
    if text in listed or _is_sequence(compact) or _is_repetition(compact):
        return True
    # Disguises: l33t spelling, digits or symbols before and after a listed word.
    cores = {compact, compact.translate(_LEET), _EDGES.sub("", compact), _EDGES.sub("", compact.translate(_LEET))}
    for core in cores:
        if len(core) >= 4 and (core in listed or _is_sequence(core) or _is_repetition(core)):
            return True
    return False


def password_problem(password: str) -> str | None:
    """Why ``password`` is refused (in French), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Le mot de passe doit comporter au moins {MIN_PASSWORD_LENGTH} caractères."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Le mot de passe doit comporter au plus {MAX_PASSWORD_LENGTH} caractères."
    if is_common_password(password):
        return (
            "Ce mot de passe est trop courant ou trop facile à deviner (liste de mots de passe "
            "fréquents, suite de clavier, répétition). Choisissez-en un autre, par exemple une "
            "phrase de plusieurs mots."
        )
    return None

