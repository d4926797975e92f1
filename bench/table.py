"""Format the benchmark's figures as plain-text tables."""


def format_table(header: list[str], rows: list[list[str]], *, align: str) -> str:
    """Return *rows* under *header*; *align* has one letter per column, ``l`` or ``r``."""
    widths = [max(len(line[column]) for line in [header, *rows]) for column in range(len(header))]
    rule = ["-" * width for width in widths]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if side == "l" else cell.rjust(width)
            for cell, width, side in zip(line, widths, align, strict=True)
        ).rstrip()
        for line in [header, rule, *rows]
    )


def ratio(numerator: float, denominator: float) -> str:
    """Return ``2.50x`` for 5 over 2."""
    return f"{numerator / denominator:.2f}x"


PINNING_REFERENCE = "theirs: multidb.PinningReplicaRouter"


def routing_table(results: list[dict]) -> str:
    """One row per stack of routers: ns per call and the alias chosen, and each read
    against django-multidb-router's pinning router (``PINNING_REFERENCE``)."""
    calls = list(dict.fromkeys(row["call"] for row in results))
    reads = [call for call in calls if ".db_for_read(" in call]
    cell = {(row["stack"], row["call"]): row for row in results}
    header = [
        "stack",
        *(call.removeprefix("django.db.router.") for call in calls),
        *(f"{call.removeprefix('django.db.router.db_for_')} / theirs pinning" for call in reads),
    ]
    rows = []
    for stack in dict.fromkeys(row["stack"] for row in results):
        timed = [cell[stack, call] for call in calls]
        rows.append(
            [
                stack,
                *(f"{row['ns']:.0f} ns {row['alias']}" for row in timed),
                *(
                    ratio(cell[stack, call]["ns"], cell[PINNING_REFERENCE, call]["ns"])
                    for call in reads
                ),
            ]
        )
    return format_table(header, rows, align="l" + "r" * (len(header) - 1))


def blog_list_table(*, single_db: dict, multi_db: dict) -> str:
    """One row per build, ms per request with the trace on and off; then multi-db over single-db.

    Each build is ``{"queries": "default=4", "on": ms, "off": ms}``.
    """
    builds = {"single-db (no routers)": single_db, "multi-db (AppLabelRouter)": multi_db}
    header = ["build", "queries per request", "trace on", "trace off", "on/off"]
    rows = [
        [
            label,
            build["queries"],
            f"{build['on']:.2f} ms",
            f"{build['off']:.2f} ms",
            ratio(build["on"], build["off"]),
        ]
        for label, build in builds.items()
    ]
    rows.append(
        [
            "multi-db / single-db",
            "",
            ratio(multi_db["on"], single_db["on"]),
            ratio(multi_db["off"], single_db["off"]),
            "",
        ]
    )
    return format_table(header, rows, align="llrrr")


def shard_routing_table(rows: list[dict]) -> str:
    """One row per call: ns for the sharded decision and the app-label one, their ratio, aliases."""
    header = ["call", "calls", "Event", "Post", "Event/Post", "Event chose", "Post chose"]
    lines = [
        [
            row["call"],
            f"{row['calls']:,}",
            f"{row['sharded_ns']:,.0f} ns",
            f"{row['app_label_ns']:,.0f} ns",
            ratio(row["sharded_ns"], row["app_label_ns"]),
            row["sharded_alias"],
            row["app_label_alias"],
        ]
        for row in rows
    ]
    return format_table(header, lines, align="lrrrrll")


def map_refresh_line(refresh: dict) -> str:
    """The cost of a decision that asks the map database for the map's version."""
    return (
        f"{refresh['call']} with MAP_REFRESH_SECONDS = 0 (every decision runs "
        f"SELECT MAX(version) on {refresh['map_database']}, {refresh['vendor']}; "
        f"{refresh['calls']:,} calls a run): {refresh['checking_ns'] / 1000:,.1f} us, "
        f"{ratio(refresh['checking_ns'], refresh['cached_ns'])} the cached "
        f"{refresh['cached_ns'] / 1000:,.2f} us"
    )
