from functools import cache

from imagejobs.settings import ApiSettings, load_settings


@cache
def get_settings() -> ApiSettings:
    return load_settings(ApiSettings)
