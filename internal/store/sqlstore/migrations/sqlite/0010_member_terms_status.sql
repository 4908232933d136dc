-- Each term row holds its member's status, and an index leads with it, so
-- that a search sorted by status reads the driving word's members of one
-- status at a time: it skips a status none of them has, instead of walking
-- every member of it (a quarter of a large organisation may be invited).
-- Other searches read the key as before, in member order within a term.
DROP TRIGGER member_terms_insert;
DROP TRIGGER member_terms_delete;
DROP TRIGGER member_terms_update;

CREATE TABLE member_terms_by_status (
    org_id    INTEGER NOT NULL,
    status    TEXT    NOT NULL,
    starts    INTEGER NOT NULL,
    term      TEXT    NOT NULL,
    member_id INTEGER NOT NULL,
    PRIMARY KEY (org_id, starts, term, member_id)
) WITHOUT ROWID;
INSERT INTO member_terms_by_status (org_id, status, starts, term, member_id)
    SELECT t.org_id, m.status, t.starts, t.term, t.member_id FROM member_terms t JOIN members m ON m.id = t.member_id;
DROP TABLE member_terms;
ALTER TABLE member_terms_by_status RENAME TO member_terms;
CREATE INDEX member_terms_status ON member_terms (org_id, status, starts, term, member_id);

CREATE TRIGGER member_terms_insert AFTER INSERT ON members BEGIN
    INSERT INTO member_terms (org_id, status, starts, term, member_id)
        SELECT NEW.org_id, NEW.status, (substr(NEW.name_key, 1, length(w.value)) = w.value) + 2 * (substr(NEW.email, 1, length(w.value)) = w.value),
            w.value, NEW.id
        FROM json_each('[' || replace(json_quote(trim(NEW.name_words || NEW.email_words)), ' ', '","') || ']') w
        WHERE w.value <> '' ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER member_terms_delete AFTER DELETE ON members BEGIN
    DELETE FROM member_terms WHERE org_id = OLD.org_id AND starts IN (0, 1, 2, 3)
        AND member_id = OLD.id AND term IN
        (SELECT value FROM json_each('[' || replace(json_quote(trim(OLD.name_words || OLD.email_words)), ' ', '","') || ']'));
END;
CREATE TRIGGER member_terms_update AFTER UPDATE OF org_id, status, name_key, email, name_words, email_words ON members
WHEN OLD.org_id <> NEW.org_id OR OLD.status <> NEW.status OR OLD.name_key <> NEW.name_key OR OLD.email <> NEW.email
    OR OLD.name_words <> NEW.name_words OR OLD.email_words <> NEW.email_words BEGIN
    DELETE FROM member_terms WHERE org_id = OLD.org_id AND starts IN (0, 1, 2, 3)
        AND member_id = OLD.id AND term IN
        (SELECT value FROM json_each('[' || replace(json_quote(trim(OLD.name_words || OLD.email_words)), ' ', '","') || ']'));
    INSERT INTO member_terms (org_id, status, starts, term, member_id)
        SELECT NEW.org_id, NEW.status, (substr(NEW.name_key, 1, length(w.value)) = w.value) + 2 * (substr(NEW.email, 1, length(w.value)) = w.value),
            w.value, NEW.id
        FROM json_each('[' || replace(json_quote(trim(NEW.name_words || NEW.email_words)), ' ', '","') || ']') w
        WHERE w.value <> '' ON CONFLICT DO NOTHING;
END;
