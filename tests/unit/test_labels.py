"""The kit's words in both languages: ``BGKIT_LANG`` and ``lang=`` choose them, an unknown
language is refused clearly, the approval panel and the tour's report speak Japanese when asked
(the panel headless, against the fake CodeDeploy of ``test_widgets``)."""

from __future__ import annotations

import string
import unicodedata

import pytest
from test_widgets import FakeCodeDeploy, FakeKit

from bgkit.config import Settings
from bgkit.errors import ConfigError
from bgkit.labels import HEADERS, LANGUAGES, WORDS, header, language, word
from bgkit.tour import TourReport
from bgkit.widgets import ApprovalPanel

#: the CodeDeploy console's button labels (Japanese console; see bgkit/labels.py)
CONSOLE = {"reroute": "トラフィックの再ルーティング", "roll_back": "停止してロールバック",
           "terminate": "元のタスクセットの終了"}  # fmt: skip


def test_every_phrase_is_in_every_language_with_the_same_fields():
    for key, phrases in WORDS.items():
        assert set(phrases) == set(LANGUAGES), key
        fields = {lang: sorted(_fields(text)) for lang, text in phrases.items()}
        assert fields["en"] == fields["ja"], key


def columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _fields(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


def test_the_language_is_the_keyword_then_the_setting_then_english():
    assert language(None, {}) == "en"
    assert language(None, {"BGKIT_LANG": "ja"}) == "ja"
    assert language("en", {"BGKIT_LANG": "ja"}) == "en"
    with pytest.raises(ConfigError, match="BGKIT_LANG must be 'en' or 'ja', not 'jp'"):
        language(None, {"BGKIT_LANG": "jp"})
    with pytest.raises(ConfigError, match="lang must be 'en' or 'ja', not 'fr'"):
        word("reroute", "fr")


def test_settings_read_bgkit_lang_and_refuse_another_language():
    assert Settings.load({}).lang == "en"
    assert Settings.load({"BGKIT_LANG": "ja"}).lang == "ja"
    assert Settings.load({"BGKIT_LANG": "ja"}, lang="en").lang == "en"
    with pytest.raises(ConfigError, match="BGKIT_LANG must be 'en' or 'ja', not 'de'"):
        Settings.load({"BGKIT_LANG": "de"})


def test_headers_are_translated_in_japanese_only():
    assert header("target group", "ja") == HEADERS["target group"] == "ターゲットグループ"
    assert header("target group", "en") == "target group"
    assert header("no such column", "ja") == "no such column"


def test_the_panel_speaks_japanese_with_the_console_labels_under_bgkit_lang():
    panel = ApprovalPanel(FakeKit(FakeCodeDeploy(), lang="ja"), "d-1")
    buttons = [panel._reroute_button, panel._roll_back_button, panel._terminate_button]
    assert [b.description for b in buttons] == list(CONSOLE.values())
    assert panel._status.value.startswith("フェーズ: <b>Ready</b>")
    assert "<th>イベント</th><th>ステータス</th>" in panel._events.value
    assert "<th>タスクセット</th><th>ターゲットグループ</th>" in panel._task_sets.value


def test_the_keyword_wins_over_the_setting_and_english_stays_the_default():
    english = ApprovalPanel(FakeKit(FakeCodeDeploy(), lang="ja"), "d-1", lang="en")
    assert english._reroute_button.description == "Reroute traffic"
    assert ApprovalPanel(FakeKit(FakeCodeDeploy()), "d-1")._status.value.startswith("phase: ")
    with pytest.raises(ConfigError, match="lang must be 'en' or 'ja'"):
        ApprovalPanel(FakeKit(FakeCodeDeploy()), "d-1", lang="english")


def test_a_japanese_click_still_sends_the_console_request():
    codedeploy = FakeCodeDeploy()
    panel = ApprovalPanel(FakeKit(codedeploy, lang="ja"), "d-1")
    panel._reroute_button.click()
    assert codedeploy.calls[0][0] == "continue_deployment"
    assert codedeploy.calls[0][1]["deploymentWaitType"] == "READY_WAIT"


def test_the_tour_report_speaks_japanese_and_keeps_its_columns_aligned():
    report = TourReport(lang="ja", seconds=1.5)
    report.steps.append({"notebook": "05-deploy", "seconds": 1.0, "outcome": "ok", "ports": []})
    report.record("05", [{"deployment": "d-1", "kind": "CodeDeploy", "status": "Succeeded",
                          "what": "by user", "created": "x"}])  # fmt: skip
    lines = str(report).splitlines()
    assert lines[0] == "bgkit ツアー" and lines[-1] == "  合計: 1.5 s"
    head, row = lines[-3], lines[-2]
    assert head.split() == ["ノートブック", "デプロイ", "種類", "ステータス", "内容"]
    # on a terminal a Japanese character takes two columns: each column starts at one place
    for title, value in (("デプロイ", "d-1"), ("種類", "CodeDeploy"), ("内容", "by user")):
        assert columns(head[: head.index(title)]) == columns(row[: row.index(value)])
    assert str(TourReport(lang="en")).splitlines()[0] == "bgkit tour"
