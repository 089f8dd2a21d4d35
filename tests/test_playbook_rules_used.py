"""Every shipped playbook rule is read by the engine: a rule that changes nothing is caught here.

The README promises that every threshold the planner uses is in the playbook, and the app lets a
user edit each one; a rule nothing reads would be an edit that silently does nothing.
"""

import sys

from segmentation import pipeline
from segmentation.playbook import Playbook, load_playbook
from segmentation.roster import read_roster
from tests.conftest import SAMPLE_ACCOUNTS, SAMPLE_OPPORTUNITIES

ROSTER = (
    "rep,motion,role\n"
    + "".join(f"Field rep {i},field,farmer\n" for i in range(1, 9))
    + "".join(f"Inside rep {i},inside,generalist\n" for i in range(1, 5))
).encode()

SMALL = (
    "Account Name,Industry,Employees,Annual Revenue,Type\n"
    + "".join(
        f"Small {i},Retail,{size},{size * 150_000},{'Customer' if i % 2 else 'Prospect'}\n"
        for i, size in enumerate([5, 40, 80, 300, 700, 2_000, 9_000, 15, 60, 1_500, 250, 30])
    )
).encode()


def test_every_shipped_rule_is_read_when_the_pipeline_runs(monkeypatch):
    read = set()
    value = Playbook.value
    # Listing the playbook (the summary's "changed from the default", the report's table) reads
    # every rule without using it: only reads from the rest of the engine count.
    listing = ("segmentation/summary.py", "segmentation/playbook.py")

    def spy(self, rule_id):
        if not sys._getframe(1).f_code.co_filename.endswith(listing):
            read.add(rule_id)
        return value(self, rule_id)

    monkeypatch.setattr(Playbook, "value", spy)
    # The branches: deals and a roster (bookings from history, pods, overlays, territories with
    # real reps and their moves); no deals (playbook rates); placeholder reps; a file too small
    # to cluster (firmographic tiers); the conservative field line switched on.
    with_deals = pipeline.run(
        SAMPLE_ACCOUNTS, opportunities=SAMPLE_OPPORTUNITIES, roster=read_roster(ROSTER)
    )
    with_deals.files()
    without = pipeline.run(SAMPLE_ACCOUNTS)
    without.files()
    pipeline.preview_territories(without.team_plan)
    conservative = load_playbook().with_values(use_conservative_field_line=1)
    pipeline.plan_teams(without.loaded, without.segmentation, conservative, None)
    pipeline.run(SMALL, name="small.csv").files()

    never_read = sorted(set(load_playbook().rules) - read)
    assert never_read == [], f"shipped rules nothing reads: {never_read}"
