-- Team Members at a million members: each organisation's member and licence
-- counts, and the words of each member's name and email indexed for search.
-- Triggers keep both in step with every insert, update and delete of a
-- member, inside the statement that makes it, whichever code path runs it.

CREATE TABLE member_counts (
    org_id   BIGINT PRIMARY KEY REFERENCES organisations(id) ON DELETE CASCADE,
    members  BIGINT NOT NULL,
    licensed BIGINT NOT NULL
);
INSERT INTO member_counts (org_id, members, licensed)
    SELECT org_id, COUNT(*), COUNT(*) FILTER (WHERE licensed) FROM members GROUP BY org_id;

CREATE FUNCTION member_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE member_counts SET members = members - 1, licensed = licensed - OLD.licensed::int WHERE org_id = OLD.org_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO member_counts (org_id, members, licensed) VALUES (NEW.org_id, 1, NEW.licensed::int)
            ON CONFLICT (org_id) DO UPDATE SET members = member_counts.members + 1,
                licensed = member_counts.licensed + excluded.licensed;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER member_counts_insert_delete AFTER INSERT OR DELETE ON members
    FOR EACH ROW EXECUTE FUNCTION member_counts_follow();
CREATE TRIGGER member_counts_update AFTER UPDATE OF org_id, licensed ON members
    FOR EACH ROW WHEN (OLD.org_id <> NEW.org_id OR OLD.licensed <> NEW.licensed) EXECUTE FUNCTION member_counts_follow();

-- name_words and email_words hold the distinct words of name_key and email
-- (store.SearchWords: cut at every ASCII character but letters and digits),
-- sorted, each after a space: strpos(name_words, ' ' || w) finds a word
-- beginning with w. The store writes them with the name and the email.
-- Members seeded in bulk (ims dev seed) before it wrote name_key have it
-- empty, which the name sort and the words below need.
UPDATE members SET name_key = lower(name) WHERE name_key = '' AND name <> '';
ALTER TABLE members ADD COLUMN name_words TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN email_words TEXT NOT NULL DEFAULT '';
CREATE FUNCTION pg_temp.search_words(text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(' ' || string_agg(DISTINCT w COLLATE "C", ' ' ORDER BY w COLLATE "C"), '')
    FROM regexp_split_to_table($1, '[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+') w WHERE w <> ''
$$;
UPDATE members SET name_words = pg_temp.search_words(name_key), email_words = pg_temp.search_words(email);
DROP FUNCTION pg_temp.search_words(text);

-- One row per distinct word of a member's name and email. starts tells
-- which sorted column begins with the term (1: name_key, 2: email, 3: both,
-- 0: neither): a search sorted by that column reads those members from its
-- index, in order, and the rest here. The term compares bytewise, so a
-- word's prefix is a range of the key.
CREATE TABLE member_terms (
    org_id    BIGINT   NOT NULL,
    starts    SMALLINT NOT NULL,
    term      TEXT     COLLATE "C" NOT NULL,
    member_id BIGINT   NOT NULL,
    PRIMARY KEY (org_id, starts, term, member_id)
);
INSERT INTO member_terms (org_id, starts, term, member_id)
    SELECT m.org_id, (left(m.name_key, length(w)) = w)::int + 2 * (left(m.email, length(w)) = w)::int, w, m.id
    FROM members m, unnest(string_to_array(btrim(m.name_words || m.email_words), ' ')) w
    WHERE w <> '' ON CONFLICT DO NOTHING;

CREATE FUNCTION member_terms_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM member_terms WHERE org_id = OLD.org_id AND starts IN (0, 1, 2, 3) AND member_id = OLD.id
            AND term = ANY (string_to_array(btrim(OLD.name_words || OLD.email_words), ' '));
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO member_terms (org_id, starts, term, member_id)
            SELECT NEW.org_id, (left(NEW.name_key, length(w)) = w)::int + 2 * (left(NEW.email, length(w)) = w)::int, w, NEW.id
            FROM unnest(string_to_array(btrim(NEW.name_words || NEW.email_words), ' ')) w
            WHERE w <> '' ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER member_terms_insert_delete AFTER INSERT OR DELETE ON members
    FOR EACH ROW EXECUTE FUNCTION member_terms_follow();
CREATE TRIGGER member_terms_update AFTER UPDATE OF org_id, name_key, email, name_words, email_words ON members
    FOR EACH ROW WHEN (OLD.org_id <> NEW.org_id OR OLD.name_key <> NEW.name_key OR OLD.email <> NEW.email
        OR OLD.name_words <> NEW.name_words OR OLD.email_words <> NEW.email_words)
    EXECUTE FUNCTION member_terms_follow();

-- A search sorted by name tests each member's words from this index alone.
DROP INDEX members_org_name;
CREATE INDEX members_org_name ON members (org_id, name_key, id) INCLUDE (name_words, email_words);
