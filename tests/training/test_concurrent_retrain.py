"""Two retrains at once on one store (SQLite and PostgreSQL): one trains and promotes, the other
stops with RetrainBusy before training; the registry gains one version."""

from __future__ import annotations

import threading
from pathlib import Path

from classifier.registry import Registry
from store.locks import exclusive_run
from tests.training.conftest import RETRAIN_ARGS, copy_registry, import_seed
from training.exceptions import RetrainBusy
from training.retrain import retrain


def test_a_second_retrain_meanwhile_trains_nothing(loop, session_factory, tmp_path: Path):
    import_seed(session_factory)
    models = copy_registry(loop, tmp_path / "models")
    versions_before = {s.version for s in Registry(models).list()}
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def one() -> None:
        barrier.wait()
        try:
            outcomes.append(
                retrain(factory=session_factory, models_dir=models, seed=1, **RETRAIN_ARGS)
            )
        except RetrainBusy as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    busy = [o for o in outcomes if isinstance(o, RetrainBusy)]
    done = [o for o in outcomes if not isinstance(o, RetrainBusy)]
    assert len(busy) == 1 and len(done) == 1, outcomes
    assert "another retrain is running" in str(busy[0])
    assert {s.version for s in Registry(models).list()} - versions_before == {done[0].version}
    with exclusive_run(factory=session_factory, name="retrain") as held:
        assert held  # released by the run that held it
