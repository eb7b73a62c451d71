"""Where trained models wait between trainings: ``reports/forecasts/models/trained_on=<date>/``.

Training (backtest, model choice, LightGBM fit) is the expensive part of the job; a run uses the
latest models trained on or before its date and at most ``RETRAIN_DAYS`` old, and trains (and
stores) new ones otherwise. Never a model trained after the run date: a re-run or a backfill of a
past date sees only what that date could have known, and a re-run of the same date finds the
same models it trained the first time.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from retail_factory.forecasting.models import TrainedModels

if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient

MODELS_PREFIX = "forecasts/models/"
RETRAIN_DAYS = 7
_TRAINED_ON = re.compile(r"trained_on=(\d{4}-\d{2}-\d{2})/")


class BlobModelStore:
    def __init__(self, service: BlobServiceClient, container: str | None = None) -> None:
        from retail_factory.config import get_settings

        self.service = service
        self.container = container or get_settings().reports_container

    def latest(self, as_of: dt.date, max_age_days: int = RETRAIN_DAYS) -> TrainedModels | None:
        """The newest models trained on or before ``as_of`` and less than ``max_age_days`` old."""
        from retail_factory.storage import storage_guard

        client = self.service.get_container_client(self.container)
        with storage_guard(self.service, "listing the trained models"):
            dates = {
                dt.date.fromisoformat(match.group(1))
                for blob in client.list_blobs(name_starts_with=MODELS_PREFIX)
                if (match := _TRAINED_ON.search(blob.name))
            }
        usable = [d for d in dates if as_of - dt.timedelta(days=max_age_days) < d <= as_of]
        if not usable:
            return None
        prefix = f"{MODELS_PREFIX}trained_on={max(usable).isoformat()}/"
        with (
            tempfile.TemporaryDirectory(prefix="retail-factory-models-") as tmp,
            storage_guard(self.service, "downloading the trained models"),
        ):
            for blob in client.list_blobs(name_starts_with=prefix):
                path = Path(tmp) / blob.name.removeprefix(prefix)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(client.download_blob(blob.name).readall())
            return TrainedModels.load(Path(tmp))

    def save(self, trained: TrainedModels) -> str:
        from retail_factory.storage import replace_folder

        prefix = f"{MODELS_PREFIX}trained_on={trained.trained_on.date().isoformat()}/"
        with tempfile.TemporaryDirectory(prefix="retail-factory-models-") as tmp:
            trained.save(Path(tmp))
            files = {p.relative_to(tmp).as_posix(): p.read_bytes() for p in sorted(Path(tmp).rglob("*")) if p.is_file()}
        return replace_folder(self.service, self.container, prefix, files, "storing the trained models")
