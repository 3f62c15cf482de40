from functools import cache

from imagejobs.settings import WorkerSettings, load_settings


@cache
def get_settings() -> WorkerSettings:
    return load_settings(WorkerSettings)
