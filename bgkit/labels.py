"""The kit's words, in English and Japanese: what the approval panel, the pipeline's approval
widget, the tour's report and the helpers' tables show.

One table, :data:`WORDS`, holds each phrase in both languages; :func:`word` picks one by key, and
:func:`header` translates a table's column header. The language is the ``lang=`` keyword of the
function that shows the words, else the setting ``BGKIT_LANG`` (``en``, the default, or ``ja``;
see :mod:`bgkit.config`).

The Japanese follows the vocabulary of AWS's Japanese documentation and console: the buttons
carry the labels of the CodeDeploy console (「トラフィックの再ルーティング」,
「停止してロールバック」, 「元のタスクセットの終了」) and those of the CodePipeline console
(「承認」, 「却下」), the listeners are the 本稼働リスナー and
テストリスナー of the CodeDeploy user guide, the new task set the 置換タスクセット of the ECS
developer guide.

Only words a person reads are translated. The columns of the pandas frames the helpers return
stay English — they are names code uses (``frame["revision"]``), like the fields of a boto3
answer — and so do the deployment's phases (``Ready``, ``Stopped``: CodeDeploy's statuses).
"""

from __future__ import annotations

import os
from typing import Any

from bgkit.errors import ConfigError

__all__ = ["LANGUAGES", "WORDS", "header", "language", "word"]

#: the languages the kit speaks
LANGUAGES = ("en", "ja")

#: key → language → phrase (``{name}`` fields filled by :func:`word`)
WORDS: dict[str, dict[str, str]] = {
    # the approval panel's buttons: the CodeDeploy console's labels
    "reroute": {"en": "Reroute traffic", "ja": "トラフィックの再ルーティング"},
    "roll_back": {"en": "Stop and roll back", "ja": "停止してロールバック"},
    "terminate": {"en": "Terminate original task set now", "ja": "元のタスクセットの終了"},
    # the approval panel's labels
    "deployment": {"en": "Deployment", "ja": "デプロイ"},
    "phase": {"en": "phase", "ja": "フェーズ"},
    "ready_wait_ends": {
        "en": "ready wait ends at {time} UTC",
        "ja": "待機時間は {time} UTC に終了",
    },
    "rolled_back_by": {
        "en": "rolled back by {deployment}",
        "ja": "{deployment} でロールバック済み",
    },
    "nothing_yet": {"en": "nothing yet", "ja": "まだありません"},
    "could_not_read": {
        "en": "could not read the deployment: {error}",
        "ja": "デプロイを読み取れませんでした: {error}",
    },
    "throttled": {
        "en": "AWS is throttling the panel's reads (the account's API rate limit); "
        "it reads again in {seconds} s",
        "ja": "AWS がパネルの読み取りをスロットリングしています (アカウントの API レート制限)。"
        "{seconds} 秒後に再度読み取ります",
    },
    # the ECS built-in blue/green panel: the ECS console's labels
    "continue": {"en": "Continue", "ja": "続行"},
    "ecs_roll_back": {"en": "Roll back", "ja": "ロールバック"},
    "service_deployment": {"en": "Service deployment", "ja": "サービスデプロイ"},
    "stage": {"en": "stage", "ja": "ライフサイクルステージ"},
    "paused_until": {
        "en": "paused: continue or roll back before {time} UTC, else {action}",
        "ja": "一時停止中: {time} UTC までに続行またはロールバックしてください (過ぎると {action})",
    },
    "continue_does": {
        "en": "Continue answers the pause hook: ContinueServiceDeployment(action=CONTINUE)",
        "ja": "続行は一時停止フックに応答します: "
        "ContinueServiceDeployment(action=CONTINUE)",
    },
    "roll_back_does": {
        "en": "Roll back: StopServiceDeployment(stopType=ROLLBACK) puts the rules back on blue",
        "ja": "ロールバック: StopServiceDeployment(stopType=ROLLBACK) でルールを blue に戻します",
    },
    "lambda_decides": {
        "en": "a Lambda hook decides here: ECS waits for its function's hookStatus",
        "ja": "ここでは Lambda フックが判断します: ECS は関数の hookStatus を待ちます",
    },
    "no_early_end": {
        "en": "ECS has no request that ends the bake time early: "
        "blue is scaled in when the bake time is over",
        "ja": "ECS にはベイク時間を早く終える API はありません: "
        "ベイク時間が終わると blue はスケールインされます",
    },
    "could_not_read_service_deployment": {
        "en": "could not read the service deployment: {error}",
        "ja": "サービスデプロイを読み取れませんでした: {error}",
    },
    # the pipeline's approval widget: the CodePipeline console's labels
    "approve": {"en": "Approve", "ja": "承認"},
    "reject": {"en": "Reject", "ja": "却下"},
    "pipeline": {"en": "Pipeline", "ja": "パイプライン"},
    "execution": {"en": "execution", "ja": "実行"},
    "approval": {"en": "approval", "ja": "承認"},
    "comments": {"en": "Comments", "ja": "コメント"},
    "could_not_read_pipeline": {
        "en": "could not read the pipeline: {error}",
        "ja": "パイプラインを読み取れませんでした: {error}",
    },
    # the tour's report
    "tour": {"en": "bgkit tour", "ja": "bgkit ツアー"},
    "tour_deployments": {
        "en": "deployments (the notebook that started each; the last status seen):",
        "ja": "デプロイ (開始したノートブックと、最後に確認したステータス):",
    },
    "tour_unlisted": {
        "en": "deployments not listed {why}",
        "ja": "一覧にできなかったデプロイ {why}",
    },
    "tour_total": {"en": "total: {seconds} s", "ja": "合計: {seconds} s"},
}

#: column header → its Japanese (the panel's tables and the tour's table of deployments)
HEADERS = {
    "event": "イベント",
    "status": "ステータス",
    "hook": "フック",
    "label": "タスクセット",
    "target group": "ターゲットグループ",
    "weight": "重み",
    "running": "実行中",
    "desired": "必要数",
    "stages": "ステージ",
    "revision": "リビジョン",
    "task definition": "タスク定義",
    "production": "本稼働",
    "test": "テスト",
    "on timeout": "タイムアウト時",
    "notebook": "ノートブック",
    "deployment": "デプロイ",
    "kind": "種類",
    "what": "内容",
}


def language(lang: str | None = None, env: Any = None) -> str:
    """The language to speak: ``lang`` if given, else ``BGKIT_LANG``, else ``en``.

    Raises:
        ConfigError: neither ``en`` nor ``ja``.
    """
    source = "lang"
    if lang is None:
        lang = ((os.environ if env is None else env).get("BGKIT_LANG") or "").strip() or "en"
        source = "BGKIT_LANG"
    if lang not in LANGUAGES:
        raise ConfigError(f"{source} must be 'en' or 'ja', not {lang!r}")
    return lang


def word(key: str, lang: str | None = None, **values: Any) -> str:
    """The phrase ``key`` in ``lang`` (see :func:`language`), its fields filled from ``values``."""
    return WORDS[key][language(lang)].format(**values)


def header(column: str, lang: str | None = None) -> str:
    """A table's column header in ``lang``; a column without a translation as it is."""
    return HEADERS.get(column, column) if language(lang) == "ja" else column
