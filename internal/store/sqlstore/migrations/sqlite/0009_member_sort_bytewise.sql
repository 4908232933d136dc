-- SQLite already compares name keys and emails byte by byte (BINARY); this
-- version makes PostgreSQL do the same (see postgres/0009).
SELECT 1;
