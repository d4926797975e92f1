"""Create the drill's member accounts: ``python -m bench.drill_users N``.

Run with ``DJANGO_SETTINGS_MODULE=bench.settings_drill`` (a fast hasher) by
``bench/drill.py``. Idempotent: an existing account gets its password reset.
"""

import sys

import django

PASSWORD = "drill-member"


def main() -> int:
    count = int(sys.argv[1])
    django.setup()
    from django.contrib.auth import get_user_model

    User = get_user_model()
    for number in range(count):
        user, _ = User.objects.get_or_create(username=f"drill{number}")
        user.set_password(PASSWORD)
        user.save()
    print(f"{count} drill members in default", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
