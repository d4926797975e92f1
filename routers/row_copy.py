"""Copying a model's rows between databases, in batches, and proving the copy with checksums.

The engine under ``move_shard`` (one logical shard's rows to another shard,
``shard_move.py``) and ``move_app`` (an app's rows to another database or
engine). It works through the ORM on any pair of backends, SQLite to
PostgreSQL included, and never through the routers: every queryset names
its database.

``sync_rows(model, source, target)`` makes *target*'s rows equal
*source*'s: it walks the source in primary-key order, ``batch_size`` rows at
a time, reads the same key range on the target, and in one transaction on
the target deletes the rows that differ or are gone and inserts the
source's (primary keys kept; no ``save()``, ``pre_save()`` or signals, as ``loaddata`` saves).
Run once, it copies; run again, it carries over only what changed since,
which is how a move catches up with live writes. It is idempotent: a pass
interrupted anywhere is finished by the next.

``checksum(rows)`` is ``(count, digest)``: BLAKE2b over each row's
values in primary-key order, normalised so that both engines give the
same digest for the same data (aware datetimes in UTC, decimals as text,
JSON with sorted keys). Equal on both sides means the same rows with the
same values.

Copy with: nothing (Django only).
"""

import datetime
import decimal
import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connections, models, transaction

__all__ = [
    "SyncResult",
    "checksum",
    "combined",
    "digests",
    "sync_keys",
    "delete_rows",
    "dependency_order",
    "insert_raw",
    "sync_rows",
]

DEFAULT_BATCH_SIZE = 1000

Progress = Callable[[int], None]  # called with the rows read from the source so far


@dataclass
class SyncResult:
    """What one pass did: source rows read, target rows written and deleted."""

    read: int = 0
    written: int = 0
    deleted: int = 0

    @property
    def changed(self) -> int:
        return self.written + self.deleted


def attnames(model) -> list[str]:
    """The model's concrete columns, the primary key first."""
    pk = model._meta.pk.attname
    return [pk, *(f.attname for f in model._meta.concrete_fields if f.attname != pk)]


def _normal(value):
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(datetime.timezone.utc).isoformat()
    if isinstance(value, datetime.date | datetime.time | decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


def row_digest(values: Iterable) -> bytes:
    return hashlib.blake2b(repr(tuple(map(_normal, values))).encode(), digest_size=16).digest()


def checksum(rows: models.QuerySet, *, batch_size: int = DEFAULT_BATCH_SIZE) -> tuple[int, str]:
    """``(count, hex digest)`` of *rows*' values in primary-key order, read in batches."""
    model = rows.model
    fields = attnames(model)
    total, digest, last = 0, hashlib.blake2b(digest_size=16), None
    while True:
        page = rows if last is None else rows.filter(pk__gt=last)
        batch = list(page.order_by("pk").values_list(*fields)[:batch_size])
        for values in batch:
            digest.update(row_digest(values))
        total += len(batch)
        if len(batch) < batch_size:
            return total, digest.hexdigest()
        last = batch[-1][0]


def sync_rows(
    source: models.QuerySet,
    target: models.QuerySet,
    *,
    after=None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    saved: Callable[[object], None] | None = None,
    pause: float = 0.0,
) -> SyncResult:
    """Make *target*'s rows equal *source*'s, from primary key *after* on; see the module.

    Both querysets are of the same model and say which rows take part
    (``.filter()``) and where they are (``.using()``). ``saved(pk)`` is
    called after each batch commits on the target with the batch's last key,
    so a caller can record where to resume. *pause* seconds pass between
    batches: a throttle, to leave the databases to the site.
    """
    model, fields = source.model, attnames(source.model)
    result, last = SyncResult(), after
    while True:
        page = source if last is None else source.filter(pk__gt=last)
        batch = list(page.order_by("pk").values_list(*fields)[:batch_size])
        done = len(batch) < batch_size
        rows_there = target if last is None else target.filter(pk__gt=last)
        if not done:
            rows_there = rows_there.filter(pk__lte=batch[-1][0])
        theirs = dict(
            (values[0], row_digest(values)) for values in rows_there.values_list(*fields).iterator()
        )
        ours = {values[0]: values for values in batch}
        gone = [pk for pk in theirs if pk not in ours]
        missing = [values for pk, values in ours.items() if theirs.get(pk) != row_digest(values)]
        changed = [values[0] for values in missing if values[0] in theirs]
        if missing or gone:
            with transaction.atomic(using=target.db):
                delete_rows(model, target.db, gone + changed)
                insert_raw(target.db, [model(**dict(zip(fields, v, strict=True))) for v in missing])
        result.read += len(batch)
        result.written += len(missing)
        result.deleted += len(gone)
        if progress:
            progress(result.read)
        if batch:
            last = batch[-1][0]
            if saved:
                saved(last)
        if done:
            return result
        time.sleep(pause)


def sync_keys(
    source: models.QuerySet,
    target: models.QuerySet,
    pks: list,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> SyncResult:
    """``sync_rows`` for the rows with primary keys *pks* only: what a change log names."""
    result = SyncResult()
    for start in range(0, len(pks), batch_size):
        chunk = sorted(set(pks[start : start + batch_size]))
        step = sync_rows(
            source.filter(pk__in=chunk), target.filter(pk__in=chunk), batch_size=len(chunk) + 1
        )
        result.read += step.read
        result.written += step.written
        result.deleted += step.deleted
    return result


def digests(
    rows: models.QuerySet, *, batch_size: int = DEFAULT_BATCH_SIZE, pause: float = 0.0
) -> dict:
    """Primary key -> ``row_digest`` of every row of *rows*, in batches by key, *pause* s apart."""
    fields, last = attnames(rows.model), None
    found: dict = {}
    while True:
        page = rows if last is None else rows.filter(pk__gt=last)
        batch = list(page.order_by("pk").values_list(*fields)[:batch_size])
        found.update((values[0], row_digest(values)) for values in batch)
        if len(batch) < batch_size:
            return found
        last = batch[-1][0]
        time.sleep(pause)


def combined(digests_by_key: dict) -> tuple[int, str]:
    """``(count, hex digest)`` of rows' digests in key order: ``checksum``'s answer."""
    digest = hashlib.blake2b(digest_size=16)
    for key in sorted(digests_by_key):
        digest.update(digests_by_key[key])
    return len(digests_by_key), digest.hexdigest()


def insert_raw(alias: str, objs: list[models.Model]) -> None:
    """Insert *objs* on *alias* as they are: no ``pre_save()``, so ``auto_now`` keeps its value.

    ``bulk_create`` would stamp ``auto_now`` fields with the time of the copy.
    ``QuerySet._insert(raw=True)`` is how ``loaddata`` saves rows unchanged
    (``Model.save_base(raw=True)``), one statement per batch here (undocumented;
    tests/routers/test_django_internals.py watches it).
    """
    if not objs:
        return
    model = type(objs[0])
    fields = model._meta.concrete_fields
    size = connections[alias].ops.bulk_batch_size(fields, objs) or len(objs)
    for start in range(0, len(objs), size):
        # A private method, so django-stubs leaves it out.
        models.QuerySet(model, using=alias)._insert(  # type: ignore[attr-defined]
            objs[start : start + size], fields=fields, raw=True, using=alias
        )


def delete_rows(model, alias: str, pks: list, *, batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """Delete *model*'s rows with primary keys *pks* on *alias*: plain SQL, no cascade or signal.

    A copy deletes table by table in dependency order itself; the ORM's
    ``delete()`` would collect related rows across the routers first.
    """
    connection = connections[alias]
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.pk.column)
    deleted = 0
    with connection.cursor() as cursor:
        for start in range(0, len(pks), batch_size):
            chunk = pks[start : start + batch_size]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", chunk)
            deleted += cursor.rowcount
    return deleted


def dependency_order(candidates: Iterable[type[models.Model]]) -> list[type[models.Model]]:
    """*candidates* with each model after the models among them it has foreign keys to."""
    pending = list(candidates)
    ordered: list[type[models.Model]] = []
    while pending:
        ready = [
            model
            for model in pending
            if not any(
                field.related_model in pending and field.related_model is not model
                for field in model._meta.concrete_fields
                if field.is_relation
            )
        ]
        if not ready:  # a cycle: keep the given order for what remains (keys are deferred)
            ready = pending[:1]
        ordered.extend(ready)
        pending = [model for model in pending if model not in ready]
    return ordered
