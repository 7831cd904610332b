"""Django in a process that multiprocessing's "spawn" starts (verify_audit's parallel walk).

A spawned child starts from nothing: before it can run a task it unpickles its initializer, so this
module imports none of the project's models (they need Django set up first). The initializer sets Django
up, then points it at the parent's database and gives it the parent's values of the named settings
(a test's database and keys live only in the parent's memory).
"""

from typing import Any

import django
from django.conf import settings
from django.db import connections


def set_up_django(database_name: str, setting_values: dict[str, Any]) -> None:
    django.setup()
    for name, value in setting_values.items():
        setattr(settings, name, value)
    connections["default"].settings_dict["NAME"] = database_name
