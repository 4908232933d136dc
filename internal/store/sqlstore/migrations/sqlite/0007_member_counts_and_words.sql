-- Team Members at a million members: each organisation's member and licence
-- counts. Triggers keep them in step with every insert, update and delete of
-- a member, inside the statement that makes it, whichever code path runs it.

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
