"""What a learner's kernel loads: the walkthrough, the views and the widgets (the approval panel
and the pipeline's approval widget) import nothing of the local cloud but
:mod:`bgkit.local.process` (which ``bgkit.connect()`` uses to start it).

Checked in a fresh interpreter, so that nothing another test imported counts.
"""

from __future__ import annotations

import json
import subprocess
import sys

#: packages of the local cloud that must stay out of a learner's kernel
FORBIDDEN = ("bgkit.local.services", "bgkit.local.server", "bgkit.local.dataplane", "aiohttp")

PROBE = """
import json, sys
import bgkit.walkthrough, bgkit.observe, bgkit.widgets, bgkit.pipeline_widgets
print(json.dumps(sorted(sys.modules)))
"""


def loaded_modules() -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(done.stdout)


def test_the_walkthrough_views_and_widgets_load_no_module_of_the_local_cloud():
    modules = loaded_modules()
    found = [m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert found == []
    # at most these: bgkit.connect() loads them when first called
    assert {m for m in modules if m.startswith("bgkit.local")} <= {
        "bgkit.local",
        "bgkit.local.process",
    }
