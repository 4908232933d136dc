-- Team Members sorts name keys and emails, and finds the ones that begin
-- with a search word, byte by byte as SQLite does. In the database's own
-- collation (en_US, C.UTF-8…) PostgreSQL cannot read "begins with" as a
-- range of an index, and read every member instead. Name keys are already
-- lower-cased for sorting. The word lists follow, so that the triggers
-- compare text of one collation; the trigger naming these columns is
-- recreated around the change.
DROP TRIGGER member_changed ON members;
ALTER TABLE members
    ALTER COLUMN name_key TYPE TEXT COLLATE "C",
    ALTER COLUMN email TYPE TEXT COLLATE "C",
    ALTER COLUMN name_words TYPE TEXT COLLATE "C",
    ALTER COLUMN email_words TYPE TEXT COLLATE "C";
CREATE TRIGGER member_changed AFTER UPDATE OF org_id, licensed, name_key, email, name_words, email_words ON members
    FOR EACH ROW WHEN ((OLD.org_id, OLD.licensed, OLD.name_key, OLD.email, OLD.name_words, OLD.email_words)
        IS DISTINCT FROM (NEW.org_id, NEW.licensed, NEW.name_key, NEW.email, NEW.name_words, NEW.email_words))
    EXECUTE FUNCTION member_changed();
