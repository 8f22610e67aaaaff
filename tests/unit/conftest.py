# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make ``ansible_collections.sso.mappings`` importable from the set-up's collections path."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS = os.environ.get('SSO_COLLECTIONS_PATH', str(REPO / '.build' / 'collections'))
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
