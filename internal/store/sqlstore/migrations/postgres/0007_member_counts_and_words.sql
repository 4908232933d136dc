-- Team Members at a million members: each organisation's member and licence
-- counts. Triggers keep them in step with every insert, update and delete of
-- a member, inside the statement that makes it, whichever code path runs it.

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
