"""The undocumented Django internals routers/ relies on, each behind one small function.

``pinning.in_atomic_block`` reads ``connection.in_atomic_block``;
``replica.only_testcase_atomics`` reads ``connection.atomic_blocks`` and the
``_from_testcase`` mark TestCase puts on its own atomic blocks. If a Django
upgrade renames or changes any of them, these tests fail and say which.
"""

from django.db import connection, transaction
from django.test import TestCase, TransactionTestCase

from routers.pinning import in_atomic_block
from routers.replica import only_testcase_atomics


class InsideTestCase(TestCase):
    def test_testcase_marks_its_own_atomic_blocks(self):
        assert connection.atomic_blocks, "Django no longer keeps connection.atomic_blocks"
        assert all(
            getattr(block, "_from_testcase", None) is True for block in connection.atomic_blocks
        ), "TestCase no longer marks its atomic blocks with _from_testcase"

    def test_only_the_testcase_transaction_is_open(self):
        assert in_atomic_block(connection) is True
        assert only_testcase_atomics(connection) is True

    def test_an_atomic_block_of_the_test_itself_counts(self):
        with transaction.atomic():
            assert in_atomic_block(connection) is True
            assert only_testcase_atomics(connection) is False


class OutsideTestCaseTransactions(TransactionTestCase):
    def test_no_atomic_block_outside_atomic(self):
        assert in_atomic_block(connection) is False
        with transaction.atomic():
            assert in_atomic_block(connection) is True
            assert only_testcase_atomics(connection) is False
        assert in_atomic_block(connection) is False
