"""Whether a password a person chose is good enough: long enough and hard to guess.

Length alone lets "        " and "password1" through; zxcvbn scores a password by how
many guesses its patterns (dictionary words, common passwords, keyboard walks, dates,
repeats, the user's own email) would take, the way the field rates them. Score 3 means
"safely unguessable" against online guessing and resists offline attack on a slow hash.

The policy applies where someone sets a password through the API (invitation acceptance,
password change). The demo seed (`metrica demo`, the web tests) does not go through it:
its password `metrica-demo` is printed on the console and in the docs, so no policy could
make it secret, and the demo must keep signing in with it.
"""

from __future__ import annotations

from zxcvbn import zxcvbn

MIN_LENGTH = 8
MIN_SCORE = 3  # zxcvbn: 0 too guessable … 4 very unguessable
# zxcvbn refuses longer input (and its matching grows fast with length); what lies beyond
# the first 72 characters only adds strength, so scoring the start is conservative.
SCORED_PREFIX = 72


class WeakPassword(ValueError):
    """The password fails the policy; the message says why, in words for the person."""


def check_password(password: str, *, user_inputs: list[str]) -> None:
    """Raise `WeakPassword` unless `password` is long and strong enough; `user_inputs`
    (email, product name) count as known words."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Use at least {MIN_LENGTH} characters.")
    if not password.strip():
        raise WeakPassword("A password of only spaces is too easy to guess.")
    result = zxcvbn(password[:SCORED_PREFIX], user_inputs=user_inputs)
    if result["score"] >= MIN_SCORE:
        return
    feedback = result["feedback"]
    hints = [feedback.get("warning") or "", *feedback.get("suggestions", [])]
    advice = " ".join(h for h in hints if h)
    message = "This password is too easy to guess."
    raise WeakPassword(f"{message} {advice}".strip())


def inputs_for(email: str) -> list[str]:
    """Words an attacker knows about this account: the email, its parts, the product."""
    local, _, domain = email.partition("@")
    return [email, local, *domain.split("."), "metrica"]
