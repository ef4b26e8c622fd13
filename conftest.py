"""Settings for every test, the notebooks' nbval runs included.

Notebooks read CYCLEGAN_LAB_SMOKE in their `parameters` cell: under the test
suite they take the one-iteration smoke setting, and read the real images from
CYCLEGAN_LAB_TEST_DATA (default: ../shared/data/monet2photo beside the repository).
Kernels started by nbval inherit these variables.
"""

import os
from pathlib import Path

os.environ.setdefault("CYCLEGAN_LAB_SMOKE", "1")
_test_data = os.environ.get("CYCLEGAN_LAB_TEST_DATA") or str(Path(__file__).parent.parent / "shared/data/monet2photo")
os.environ.setdefault("CYCLEGAN_LAB_DATA", _test_data)
