-- Team Members at a million members: each organisation's member and licence
-- counts, and the words of each member's name and email indexed for search.
-- Triggers keep both in step with every insert, update and delete of a
-- member, inside the statement that makes it, whichever code path runs it.

CREATE TABLE member_counts (
    org_id   INTEGER PRIMARY KEY REFERENCES organisations(id) ON DELETE CASCADE,
    members  INTEGER NOT NULL,
    licensed INTEGER NOT NULL
);
INSERT INTO member_counts (org_id, members, licensed)
    SELECT org_id, COUNT(*), SUM(licensed <> 0) FROM members GROUP BY org_id;

CREATE TRIGGER member_counts_insert AFTER INSERT ON members BEGIN
    INSERT INTO member_counts (org_id, members, licensed) VALUES (NEW.org_id, 1, NEW.licensed <> 0)
        ON CONFLICT (org_id) DO UPDATE SET members = members + 1, licensed = licensed + excluded.licensed;
END;
CREATE TRIGGER member_counts_delete AFTER DELETE ON members BEGIN
    UPDATE member_counts SET members = members - 1, licensed = licensed - (OLD.licensed <> 0) WHERE org_id = OLD.org_id;
END;
CREATE TRIGGER member_counts_update AFTER UPDATE OF org_id, licensed ON members
WHEN OLD.org_id <> NEW.org_id OR (OLD.licensed <> 0) <> (NEW.licensed <> 0) BEGIN
    UPDATE member_counts SET members = members - 1, licensed = licensed - (OLD.licensed <> 0) WHERE org_id = OLD.org_id;
    INSERT INTO member_counts (org_id, members, licensed) VALUES (NEW.org_id, 1, NEW.licensed <> 0)
        ON CONFLICT (org_id) DO UPDATE SET members = members + 1, licensed = licensed + excluded.licensed;
END;

-- name_words and email_words hold the distinct words of name_key and email
-- (store.SearchWords), sorted, each after a space: instr(name_words, ' ' ||
-- w) finds a word beginning with w. The store writes them with the name and
-- the email.
-- Members seeded in bulk (ims dev seed) before it wrote name_key have it
-- empty, which the name sort and the words below need.
UPDATE members SET name_key = lower(name) WHERE name_key = '' AND name <> '';
ALTER TABLE members ADD COLUMN name_words TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN email_words TEXT NOT NULL DEFAULT '';

-- The words of existing members. The 32 ASCII punctuation characters become
-- spaces (control characters, the other separators, are refused in names
-- and emails, so char(1) can mark where the email starts), then each part is
-- cut at its spaces.
CREATE TEMP TABLE member_text (id INTEGER PRIMARY KEY, text TEXT NOT NULL);
INSERT INTO member_text (id, text) SELECT id,
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
        name_key || char(1) || email,
        '!', ' '), '"', ' '), '#', ' '), '$', ' '), '%', ' '), '&', ' '), '''', ' '), '(', ' '),
        ')', ' '), '*', ' '), '+', ' '), ',', ' '), '-', ' '), '.', ' '), '/', ' '), ':', ' '),
        ';', ' '), '<', ' '), '=', ' '), '>', ' '), '?', ' '), '@', ' '), '[', ' '), '\', ' '),
        ']', ' '), '^', ' '), '_', ' '), '`', ' '), '{', ' '), '|', ' '), '}', ' '), '~', ' ')
    FROM members;
UPDATE members SET
    name_words = (
        WITH RECURSIVE cut(word, rest) AS (
            SELECT '', substr(t.text, 1, instr(t.text, char(1)) - 1) || ' ' FROM member_text t WHERE t.id = members.id
            UNION ALL
            SELECT substr(rest, 1, instr(rest, ' ') - 1), substr(rest, instr(rest, ' ') + 1) FROM cut WHERE rest <> ''
        )
        SELECT coalesce(' ' || group_concat(word, ' ' ORDER BY word), '') FROM (SELECT DISTINCT word FROM cut WHERE word <> '')),
    email_words = (
        WITH RECURSIVE cut(word, rest) AS (
            SELECT '', substr(t.text, instr(t.text, char(1)) + 1) || ' ' FROM member_text t WHERE t.id = members.id
            UNION ALL
            SELECT substr(rest, 1, instr(rest, ' ') - 1), substr(rest, instr(rest, ' ') + 1) FROM cut WHERE rest <> ''
        )
        SELECT coalesce(' ' || group_concat(word, ' ' ORDER BY word), '') FROM (SELECT DISTINCT word FROM cut WHERE word <> ''));
DROP TABLE member_text;

-- One row per distinct word of a member's name and email. starts tells
-- which sorted column begins with the term (1: name_key, 2: email, 3: both,
-- 0: neither): those members are a range of that column's index, so a
-- search sorted by it reads them there, in order, and reads the rest here.
-- No foreign key: the delete trigger removes a member's rows by their key.
CREATE TABLE member_terms (
    org_id    INTEGER NOT NULL,
    starts    INTEGER NOT NULL,
    term      TEXT    NOT NULL,
    member_id INTEGER NOT NULL,
    PRIMARY KEY (org_id, starts, term, member_id)
) WITHOUT ROWID;
INSERT INTO member_terms (org_id, starts, term, member_id)
    SELECT m.org_id, (substr(m.name_key, 1, length(w.value)) = w.value) + 2 * (substr(m.email, 1, length(w.value)) = w.value),
        w.value, m.id
    FROM members m, json_each('[' || replace(json_quote(trim(m.name_words || m.email_words)), ' ', '","') || ']') w
    WHERE w.value <> '' ON CONFLICT DO NOTHING;

-- json_each over the words, quoted as one JSON string then cut at its
-- spaces, is how a trigger (which cannot recurse) splits them.
CREATE TRIGGER member_terms_insert AFTER INSERT ON members BEGIN
    INSERT INTO member_terms (org_id, starts, term, member_id)
        SELECT NEW.org_id, (substr(NEW.name_key, 1, length(w.value)) = w.value) + 2 * (substr(NEW.email, 1, length(w.value)) = w.value),
            w.value, NEW.id
        FROM json_each('[' || replace(json_quote(trim(NEW.name_words || NEW.email_words)), ' ', '","') || ']') w
        WHERE w.value <> '' ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER member_terms_delete AFTER DELETE ON members BEGIN
    DELETE FROM member_terms WHERE org_id = OLD.org_id AND starts IN (0, 1, 2, 3) AND member_id = OLD.id AND term IN
        (SELECT value FROM json_each('[' || replace(json_quote(trim(OLD.name_words || OLD.email_words)), ' ', '","') || ']'));
END;
CREATE TRIGGER member_terms_update AFTER UPDATE OF org_id, name_key, email, name_words, email_words ON members
WHEN OLD.org_id <> NEW.org_id OR OLD.name_key <> NEW.name_key OR OLD.email <> NEW.email
    OR OLD.name_words <> NEW.name_words OR OLD.email_words <> NEW.email_words BEGIN
    DELETE FROM member_terms WHERE org_id = OLD.org_id AND starts IN (0, 1, 2, 3) AND member_id = OLD.id AND term IN
        (SELECT value FROM json_each('[' || replace(json_quote(trim(OLD.name_words || OLD.email_words)), ' ', '","') || ']'));
    INSERT INTO member_terms (org_id, starts, term, member_id)
        SELECT NEW.org_id, (substr(NEW.name_key, 1, length(w.value)) = w.value) + 2 * (substr(NEW.email, 1, length(w.value)) = w.value),
            w.value, NEW.id
        FROM json_each('[' || replace(json_quote(trim(NEW.name_words || NEW.email_words)), ' ', '","') || ']') w
        WHERE w.value <> '' ON CONFLICT DO NOTHING;
END;

-- A search sorted by name tests each member's words from this index alone.
DROP INDEX members_org_name;
CREATE INDEX members_org_name ON members (org_id, name_key, id, name_words, email_words);
