-- Each term row holds its member's status, and an index leads with it, so
-- that a search sorted by status reads the driving word's members of one
-- status at a time: it skips a status none of them has, instead of walking
-- every member of it (a quarter of a large organisation may be invited).
-- Other searches read the key as before, in member order within a term.
ALTER TABLE member_terms ADD COLUMN status TEXT;
UPDATE member_terms t SET status = m.status FROM members m WHERE m.id = t.member_id;
ALTER TABLE member_terms ALTER COLUMN status SET NOT NULL;
CREATE INDEX member_terms_status ON member_terms (org_id, status, starts, term, member_id);

CREATE OR REPLACE FUNCTION members_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO member_counts (org_id, members, licensed)
        SELECT org_id, COUNT(*), COUNT(*) FILTER (WHERE licensed) FROM added GROUP BY org_id
        ON CONFLICT (org_id) DO UPDATE SET members = member_counts.members + excluded.members,
            licensed = member_counts.licensed + excluded.licensed;
    INSERT INTO member_terms (org_id, status, starts, term, member_id)
        SELECT a.org_id, a.status, (left(a.name_key, length(w)) = w)::int + 2 * (left(a.email, length(w)) = w)::int, w, a.id
        FROM added a, unnest(string_to_array(btrim(a.name_words || a.email_words), ' ')) w
        WHERE w <> '' ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION members_removed() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE OR REPLACE FUNCTION member_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.org_id, OLD.licensed) IS DISTINCT FROM (NEW.org_id, NEW.licensed) THEN
        UPDATE member_counts SET members = members - 1, licensed = licensed - OLD.licensed::int WHERE org_id = OLD.org_id;
        INSERT INTO member_counts (org_id, members, licensed) VALUES (NEW.org_id, 1, NEW.licensed::int)
            ON CONFLICT (org_id) DO UPDATE SET members = member_counts.members + 1,
                licensed = member_counts.licensed + excluded.licensed;
    END IF;
    IF (OLD.org_id, OLD.status, OLD.name_key, OLD.email, OLD.name_words, OLD.email_words)
        IS DISTINCT FROM (NEW.org_id, NEW.status, NEW.name_key, NEW.email, NEW.name_words, NEW.email_words) THEN
        DELETE FROM member_terms WHERE org_id = OLD.org_id AND starts IN (0, 1, 2, 3)
            AND member_id = OLD.id AND term = ANY (string_to_array(btrim(OLD.name_words || OLD.email_words), ' '));
        INSERT INTO member_terms (org_id, status, starts, term, member_id)
            SELECT NEW.org_id, NEW.status, (left(NEW.name_key, length(w)) = w)::int + 2 * (left(NEW.email, length(w)) = w)::int, w, NEW.id
            FROM unnest(string_to_array(btrim(NEW.name_words || NEW.email_words), ' ')) w
            WHERE w <> '' ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER member_changed ON members;
CREATE TRIGGER member_changed AFTER UPDATE OF org_id, licensed, status, name_key, email, name_words, email_words ON members
    FOR EACH ROW WHEN ((OLD.org_id, OLD.licensed, OLD.status, OLD.name_key, OLD.email, OLD.name_words, OLD.email_words)
        IS DISTINCT FROM (NEW.org_id, NEW.licensed, NEW.status, NEW.name_key, NEW.email, NEW.name_words, NEW.email_words))
    EXECUTE FUNCTION member_changed();
