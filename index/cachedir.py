"""The folder for what articlebot derives once per machine and can always rebuild: the
ranking kernel built ahead of time, py3langid's model unpacked for memory-mapping.

``$ARTICLEBOT_CACHE_DIR``, else the platform's user cache folder (on Linux
``$XDG_CACHE_HOME/articlebot``, by default ``~/.cache/articlebot``). Nothing here is state:
a deleted cache is rebuilt on the next start.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Where derived files are kept (see the module docstring)."""
    chosen = os.environ.get("ARTICLEBOT_CACHE_DIR")
    if chosen:
        return Path(chosen)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("articlebot", appauthor=False))
