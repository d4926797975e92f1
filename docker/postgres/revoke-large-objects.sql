-- Included by roles.sql (psql \ir), once in the application database and once in
-- template1: a database copies its template's function privileges, so every
-- database created later (Django's test databases among them) refuses these too.
-- Large objects: the functions that create, write or delete one. Any role may
-- call them by default, and PostgreSQL 15 runs lo_create even in a read-only
-- transaction. The app stores no large objects, so only superusers keep them; to
-- use large objects, GRANT EXECUTE on the ones needed TO app. lo_open stays
-- (reads need it): opening for writing takes UPDATE on that large object, which
-- app_readonly never holds. lo_import is superuser-only already; listed for the set.
REVOKE EXECUTE ON FUNCTION
    lo_create(oid),
    lo_creat(integer),
    lo_from_bytea(oid, bytea),
    lo_import(text),
    lo_import(text, oid),
    lo_put(oid, bigint, bytea),
    lowrite(integer, bytea),
    lo_truncate(integer, integer),
    lo_truncate64(integer, bigint),
    lo_unlink(oid)
FROM PUBLIC;
