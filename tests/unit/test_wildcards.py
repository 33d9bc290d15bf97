"""IAM's wildcard matching (``*`` and ``?``) stays linear on patterns made to backtrack.

Source: IAM JSON policy elements, Resource — "You can use wildcard characters (* and ?) within any
ARN segment"; a policy's Resource may be up to the policy size limit long, so a matcher must not
backtrack exponentially on a pattern such as ``*a*a*a…*b`` (issue 20).
"""

from __future__ import annotations

import fnmatch
import itertools
import subprocess
import sys

import pytest

from bgkit.local.services.iam.evaluation import arn_like, like

#: a 41-character Resource pattern a backtracking matcher takes astronomically long on
BOMB = "*a" * 20 + "*b"


def test_a_backtracking_pattern_is_answered_at_once():
    # In a process of its own: a backtracking regex cannot be interrupted from Python.
    code = (
        "from bgkit.local.services.iam.evaluation import like, arn_like\n"
        f"assert not like({BOMB!r}, 'a' * 200)\n"
        f"assert not like({BOMB!r}, 'A' * 200, ignore_case=True)\n"
        f"role = 'arn:aws:iam::1:role/'\n"
        f"assert not arn_like(role + {BOMB!r}, role + 'a' * 200)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], timeout=30, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("*", "", True),
        ("", "", True),
        ("", "a", False),
        ("a*", "a", True),
        ("*a", "ba", True),
        ("*a", "ab", False),
        ("a*b*c", "aXbYc", True),
        ("a*b*c", "acb", False),
        ("a?c", "abc", True),
        ("a?c", "ac", False),
        ("*?", "", False),
        ("ab*ba", "aba", False),
        ("*ab*ab*", "abab", True),
        ("*ab*ab*", "aab", False),
        (BOMB, "a" * 30 + "b", True),
    ],
)
def test_like_matches_as_iam_does(pattern, value, expected):
    assert like(pattern, value) is expected


def test_like_agrees_with_a_reference_on_every_short_pattern():
    alphabet = "ab*?"
    for size in range(6):
        for pattern in map("".join, itertools.product(alphabet, repeat=size)):
            for length in range(5):
                for value in map("".join, itertools.product("ab", repeat=length)):
                    assert like(pattern, value) is fnmatch.fnmatchcase(value, pattern), (
                        pattern,
                        value,
                    )


def test_ignore_case_folds_both_sides():
    assert like("ECS:Describe*", "ecs:describeservices", ignore_case=True)
    assert not like("ECS:Describe*", "ecs:describeservices")
    assert like("a?C", "AbC", ignore_case=True)


def test_a_newline_is_matched_like_any_other_character():
    assert like("a*b", "a\nb")
    assert like("a?b", "a\nb")
    assert arn_like("arn:aws:s3:::b/*", "arn:aws:s3:::b/x\ny")
