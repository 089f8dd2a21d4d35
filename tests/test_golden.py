"""The sample's output files, pinned: a refactor that changes a byte of them fails here.

When a change to the outputs is meant (a rule, a new column), regenerate the digests and say
why in the commit:

    python -m tests.test_golden --update
"""

import hashlib
import json
import sys

from segmentation.pipeline import run
from tests.conftest import FIXTURES, SAMPLE_ACCOUNTS, SAMPLE_OPPORTUNITIES

GOLDEN = FIXTURES / "golden_sample.json"
PINNED = ("assignments.csv", "segments.csv", "teams.csv", "hiring.csv")


def _digests(result=None) -> dict[str, str]:
    # The suite passes the session's run of the sample (the same call, made once).
    if result is None:
        result = run(SAMPLE_ACCOUNTS, opportunities=SAMPLE_OPPORTUNITIES)
    files = result.files()
    return {name: hashlib.sha256(files[name]).hexdigest() for name in PINNED}


def test_the_sample_outputs_are_byte_identical_to_the_pinned_ones(sample_run):
    pinned = json.loads(GOLDEN.read_text(encoding="utf-8"))
    changed = sorted(
        name for name, digest in _digests(sample_run).items() if pinned.get(name) != digest
    )
    assert changed == [], (
        f"{', '.join(changed)} changed on the sample; if that is meant, run "
        "`python -m tests.test_golden --update` and say why in the commit"
    )


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    GOLDEN.write_text(json.dumps(_digests(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN}")
