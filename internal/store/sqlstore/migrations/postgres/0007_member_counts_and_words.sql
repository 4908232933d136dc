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

-- Triggers keep the counts and terms. Inserts and deletes are handled per
-- statement, so a bulk insert updates each organisation's counts once; an
-- update, per member, and only when it changes what they hold.
CREATE FUNCTION members_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO member_counts (org_id, members, licensed)
        SELECT org_id, COUNT(*), COUNT(*) FILTER (WHERE licensed) FROM added GROUP BY org_id
        ON CONFLICT (org_id) DO UPDATE SET members = member_counts.members + excluded.members,
            licensed = member_counts.licensed + excluded.licensed;
    INSERT INTO member_terms (org_id, starts, term, member_id)
        SELECT a.org_id, (left(a.name_key, length(w)) = w)::int + 2 * (left(a.email, length(w)) = w)::int, w, a.id
        FROM added a, unnest(string_to_array(btrim(a.name_words || a.email_words), ' ')) w
        WHERE w <> '' ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER members_added AFTER INSERT ON members REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION members_added();

CREATE FUNCTION members_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE member_counts c SET members = c.members - r.members, licensed = c.licensed - r.licensed
        FROM (SELECT org_id, COUNT(*) AS members, COUNT(*) FILTER (WHERE licensed) AS licensed
              FROM removed GROUP BY org_id) r
        WHERE c.org_id = r.org_id;
    DELETE FROM member_terms t USING removed r
        WHERE t.org_id = r.org_id AND t.starts IN (0, 1, 2, 3) AND t.member_id = r.id
            AND t.term = ANY (string_to_array(btrim(r.name_words || r.email_words), ' '));
    RETURN NULL;
END $$;
CREATE TRIGGER members_removed AFTER DELETE ON members REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION members_removed();

CREATE FUNCTION member_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.org_id, OLD.licensed) IS DISTINCT FROM (NEW.org_id, NEW.licensed) THEN
        UPDATE member_counts SET members = members - 1, licensed = licensed - OLD.licensed::int WHERE org_id = OLD.org_id;
        INSERT INTO member_counts (org_id, members, licensed) VALUES (NEW.org_id, 1, NEW.licensed::int)
            ON CONFLICT (org_id) DO UPDATE SET members = member_counts.members + 1,
                licensed = member_counts.licensed + excluded.licensed;
    END IF;
    IF (OLD.org_id, OLD.name_key, OLD.email, OLD.name_words, OLD.email_words)
        IS DISTINCT FROM (NEW.org_id, NEW.name_key, NEW.email, NEW.name_words, NEW.email_words) THEN
        DELETE FROM member_terms WHERE org_id = OLD.org_id AND starts IN (0, 1, 2, 3) AND member_id = OLD.id
            AND term = ANY (string_to_array(btrim(OLD.name_words || OLD.email_words), ' '));
        INSERT INTO member_terms (org_id, starts, term, member_id)
            SELECT NEW.org_id, (left(NEW.name_key, length(w)) = w)::int + 2 * (left(NEW.email, length(w)) = w)::int, w, NEW.id
            FROM unnest(string_to_array(btrim(NEW.name_words || NEW.email_words), ' ')) w
            WHERE w <> '' ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER member_changed AFTER UPDATE OF org_id, licensed, name_key, email, name_words, email_words ON members
    FOR EACH ROW WHEN ((OLD.org_id, OLD.licensed, OLD.name_key, OLD.email, OLD.name_words, OLD.email_words)
        IS DISTINCT FROM (NEW.org_id, NEW.licensed, NEW.name_key, NEW.email, NEW.name_words, NEW.email_words))
    EXECUTE FUNCTION member_changed();

-- A search sorted by name tests each member's words from this index alone.
DROP INDEX members_org_name;
CREATE INDEX members_org_name ON members (org_id, name_key, id) INCLUDE (name_words, email_words);
