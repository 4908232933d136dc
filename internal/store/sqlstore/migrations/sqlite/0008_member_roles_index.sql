-- The organisation's owners and administrators are found by role: counting
-- the active owners (before an owner is demoted or disabled) and listing the
-- administrators to notify of a new member read them here instead of every
-- member of the organisation.
CREATE INDEX members_org_role ON members (org_id, role, status);
